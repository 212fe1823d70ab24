//! The JSON Schema of the native YAML backlog, made from the field lists the loader checks
//! (`BACKLOG_FIELDS`, `ITEM_FIELDS`, `GOAL_FIELDS`, `REORDER_FIELDS`), so editors complete and
//! validate the same fields `backlint check` knows. `schema/backlog.schema.json` is this text; a
//! test regenerates it so the two cannot drift.

use super::{BACKLOG_FIELDS, FieldType, GOAL_FIELDS, ITEM_FIELDS, REORDER_FIELDS, Schema};
use serde_json::{Value, json};

/// Where the schema is published once the repository is: its `$id`.
pub const SCHEMA_ID: &str = "https://raw.githubusercontent.com/backlint/backlint/main/schema/backlog.schema.json";

/// The schema as the file holds it: pretty-printed, with a final newline.
pub fn backlog_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&backlog_schema()).expect("a JSON value serialises");
    text.push('\n');
    text
}

pub fn backlog_schema() -> Value {
    // Draft 7: what yaml-language-server (VS Code, Neovim, Helix…) and check-jsonschema both read.
    let mut schema = object("a Product Backlog", BACKLOG_FIELDS, "backlog");
    let map = schema.as_object_mut().expect("an object schema");
    let mut head = serde_json::Map::new();
    head.insert("$schema".into(), json!("http://json-schema.org/draft-07/schema#"));
    head.insert("$id".into(), json!(SCHEMA_ID));
    head.insert("title".into(), json!("backlint native backlog (backlog.yaml, *.backlog.yaml)"));
    head.append(map);
    // The definitions the lists point at, once each.
    head.insert(
        "definitions".into(),
        json!({
            "item": object("a Product Backlog item", ITEM_FIELDS, "item"),
            "goal": object("a Product Goal", GOAL_FIELDS, "goal"),
            "reorder": object("an ordering decision", REORDER_FIELDS, "reorder"),
        }),
    );
    Value::Object(head)
}

/// A mapping with the schema's fields. Other fields are a team's own: allowed, as the loader keeps
/// them (a near miss of a known name is a typo the loader reports; a JSON Schema cannot say that).
fn object(description: &str, fields: Schema, record: &str) -> Value {
    let mut properties = serde_json::Map::new();
    for (name, ty) in fields {
        let mut property = field(*ty);
        let map = property.as_object_mut().expect("an object schema");
        if let Some(text) = describe(record, name) {
            map.insert("description".into(), json!(text));
        }
        if let Some(examples) = examples(record, name) {
            map.insert("examples".into(), json!(examples));
        }
        if (record, *name) == ("item", "estimate") {
            map.insert("minimum".into(), json!(0));
        }
        properties.insert((*name).to_string(), property);
    }
    json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": true,
    })
}

/// A value the loader reads as text: any scalar (`id: 101` is the text `101`). Every field may be
/// empty (`null`), as the loader allows.
fn scalar() -> Value {
    json!({"type": ["string", "number", "boolean", "null"]})
}

fn field(ty: FieldType) -> Value {
    let list_of = |items: Value| json!({"type": ["array", "null"], "items": items});
    let reference = |name: &str| json!({"$ref": format!("#/definitions/{name}")});
    match ty {
        FieldType::Text => scalar(),
        FieldType::Number => json!({"type": ["number", "null"]}),
        FieldType::TextList => list_of(scalar()),
        FieldType::TextOrList => json!({"anyOf": [scalar(), list_of(scalar())]}),
        FieldType::List => json!({"type": ["array", "null"]}),
        FieldType::Items => list_of(reference("item")),
        FieldType::Goals => list_of(reference("goal")),
        FieldType::Reorders => list_of(reference("reorder")),
        FieldType::Allow => json!({"type": ["object", "null"], "additionalProperties": scalar()}),
        // Filled in by the engine, never written in a backlog: no list above holds them.
        FieldType::Reorder | FieldType::Story | FieldType::Flag => json!({}),
    }
}

/// Hover text in editors, for the fields whose meaning is not plain from the name.
fn describe(record: &str, name: &str) -> Option<&'static str> {
    Some(match (record, name) {
        ("backlog", "product") => "The product this backlog is for",
        ("backlog", "product_owner") => "The Product Owner: exactly one person",
        ("backlog", "optimizing_for") => "What the order currently optimises, e.g. time-to-market or learning",
        ("backlog", "definition_of_done") => "The Definition of Done, one criterion per entry",
        ("backlog", "product_goals") => "The Product Goals; one of them active",
        ("backlog", "items") => "The Product Backlog items, in order: the first is the most valuable now",
        ("backlog", "ordering_log") => "Ordering decisions: who moved which item, and why",
        ("backlog" | "item", "allow") => "Rules allowed here, each with the reason (`rule-name: why`)",
        ("item", "id") => "A unique id, e.g. PBI-101",
        ("item", "goal") => "The id of the Product Goal this item moves forward",
        ("item", "estimate") => "The size, a number of zero or more",
        ("item", "value") => "Who gains what when the item ships, in one sentence",
        ("item", "requested_by") => "Who asked for the item",
        ("item", "acceptance_criteria") => "Testable criteria; `[ ] …` unchecked, `[x] …` checked",
        ("item", "rank") => "Optional; must agree with the list order",
        ("item", "depends_on") => "Ids of the items this one waits for, or `{id: …, type: …}`",
        ("goal", "statement") => "What the product should achieve",
        ("goal", "measure") => "How progress towards the goal is measured",
        ("goal", "target") => "The value of the measure to reach, and by when",
        ("reorder", "by") => "Who made the ordering decision",
        ("reorder", "item") => "The id of the moved item",
        ("reorder", "from") => "The position before the move",
        ("reorder", "to") => "The position after the move",
        ("reorder", "rationale") => "Why the item moved",
        ("reorder", "date") => "When, as YYYY-MM-DD",
        _ => return None,
    })
}

/// Values editors offer; teams may use their own, so these are examples, not a closed list.
fn examples(record: &str, name: &str) -> Option<&'static [&'static str]> {
    Some(match (record, name) {
        ("item", "status") => &["idea", "refined", "ready", "in-progress", "done"],
        ("item", "type") => &["story", "bug", "spike", "experiment", "chore"],
        ("goal", "status") => &["active", "future", "achieved", "abandoned"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field the loader knows is in the schema, with no field of its own.
    #[test]
    fn the_schema_names_exactly_the_loaders_fields() {
        let schema = backlog_schema();
        for (path, fields) in [
            ("/properties", BACKLOG_FIELDS),
            ("/definitions/item/properties", ITEM_FIELDS),
            ("/definitions/goal/properties", GOAL_FIELDS),
            ("/definitions/reorder/properties", REORDER_FIELDS),
        ] {
            let properties = schema.pointer(path).and_then(Value::as_object).expect(path);
            let names: Vec<&str> = properties.keys().map(String::as_str).collect();
            let expected: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            assert_eq!(names, expected, "{path}");
        }
    }
}
