//! Backlog.md folders: `config.yml` plus one Markdown file per task, with YAML front matter.
//! Each task becomes an item of the same model the native YAML fills; every value keeps its span in
//! the task file (front-matter values, acceptance-criteria lines), so diagnostics point into it.
//! A file that cannot be read is reported and skipped; the rest of the folder is still checked.

use crate::diag::Problem;
use crate::model::{self, Backlog, Kept, Record, SourceFormat};
use crate::text::{SourceFile, Span};
use crate::yaml::{self, Entry, Node, Value};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::path::{Path, PathBuf};

/// Backlog.md keeps a Definition of Done in `config.yml`; it has no place for a Product Goal, a
/// Product Owner, a declared trade-off or estimates.
pub const FORMAT: SourceFormat = SourceFormat { name: "Backlog.md", places: &["definition_of_done"] };

/// Folders of a Backlog.md project, and what keeping a task there means: `tasks/` is the backlog,
/// `drafts/` has not entered it, `completed/` is done, `archive/` is dropped (Backlog.md archives
/// tasks it will not do; an archived task whose status is done was still done).
const FOLDERS: &[(&str, Kept)] =
    &[("tasks", Kept::Backlog), ("drafts", Kept::Draft), ("completed", Kept::Completed), ("archive", Kept::Archived)];

/// The `backlog/` folder of a Backlog.md project at or directly below `dir`, if there is one.
pub fn root_at(dir: &Path) -> Option<PathBuf> {
    let is_root = |d: &Path| d.join("config.yml").is_file() && d.join("tasks").is_dir();
    if is_root(dir) {
        return Some(dir.to_path_buf());
    }
    let nested = dir.join("backlog");
    is_root(&nested).then_some(nested)
}

/// What reading a folder produced: the backlog (if the config could be read) and every problem.
pub struct Loaded {
    pub backlog: Option<Backlog>,
    pub problems: Vec<Problem>,
}

/// Reads the project at `root`; `read` reads one file, and no folder outside `repo` is walked.
pub fn load(root: &Path, repo: &Path, read: impl Fn(&Path) -> Result<SourceFile, Problem> + Sync) -> Loaded {
    let mut problems = Vec::new();
    let config = match read(&root.join("config.yml")) {
        Ok(f) => f,
        Err(p) => return Loaded { backlog: None, problems: vec![p] },
    };
    let config_node = match yaml::parse(&config, yaml::Limits::default()) {
        Ok(n) => n,
        Err(mut p) => {
            problems.append(&mut p);
            Node { span: Span::new(0, 0), value: Value::Map(Vec::new()) }
        }
    };
    let mut top_entries = Vec::new();
    if let Some(name) = config_node.get("project_name") {
        top_entries.push(Entry { key: "product".into(), key_span: name.span, value: name.clone() });
    }
    if let Value::Map(entries) = &config_node.value {
        top_entries.extend(entries.iter().filter(|e| e.key != "project_name").cloned());
    }
    let top_node = Node { span: config_node.span, value: Value::Map(top_entries) };
    let mut top = Record::new(0, top_node, 0);
    top.anchor = model::first_key_line(&config, &config_node);

    // Walk first, then read and parse the task files on every core; results keep the walk order.
    let mut paths: Vec<(PathBuf, Kept)> = Vec::new();
    for (folder, kept) in FOLDERS {
        let dir = root.join(folder);
        if !dir.is_dir() {
            continue;
        }
        if let Some(p) = outside(&dir, repo) {
            problems.push(p);
            continue;
        }
        let walk = walkdir::WalkDir::new(&dir).follow_links(false).sort_by_file_name().into_iter();
        // Archived milestones live under `archive/`, but they are goals, not tasks.
        for entry in walk.filter_entry(|e| !(e.depth() == 1 && e.file_type().is_dir() && e.file_name() == "milestones"))
        {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Problem::error(
                        "I0021",
                        format!("cannot read `{}`: {e}", e.path().unwrap_or(&dir).display()),
                    ));
                    continue;
                }
            };
            let name = entry.file_name().to_string_lossy();
            if entry.file_type().is_file() && name.ends_with(".md") && !name.eq_ignore_ascii_case("README.md") {
                paths.push((entry.into_path(), *kept));
            }
        }
    }
    let parsed = crate::parallel::map(&paths, 64, |(path, kept)| -> Result<(SourceFile, Record, Kept), Problem> {
        let file = read(path)?;
        let record = task(&file, 0)?;
        Ok((file, record, *kept))
    });
    let mut files = vec![config];
    let goals = milestones(root, repo, &read, &mut files, &mut problems);
    let statuses = Statuses::of(&config_node, &files[0]);
    let mut items: Vec<(SortKey, Record)> = Vec::with_capacity(parsed.len());
    // Markdown notes without front matter are not tasks (Backlog.md itself skips them): one warning
    // per folder, naming how many and one of them, never an error per file.
    let mut not_tasks: Vec<(PathBuf, usize, Problem)> = Vec::new();
    for (result, (path, _)) in parsed.into_iter().zip(&paths) {
        if let Err(p) = &result
            && p.code == "I0060"
        {
            let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
            match not_tasks.iter_mut().find(|(f, ..)| *f == folder) {
                Some((_, n, _)) => *n += 1,
                None => not_tasks.push((folder, 1, p.clone())),
            }
            continue;
        }
        match result {
            Ok((file, mut record, kept)) => {
                record.file = files.len();
                record.kept = kept;
                let key = SortKey::of(&record, &file, kept != Kept::Backlog, &statuses);
                files.push(file);
                items.push((key, record));
            }
            Err(p) => problems.push(p),
        }
    }
    for (folder, n, example) in not_tasks {
        let mut p = Problem::error(
            "I0062",
            match n {
                1 => format!("`{}` holds 1 Markdown file without front matter; it is not read as a task", folder.display()),
                _ => format!("`{}` holds {n} Markdown files without front matter; they are not read as tasks", folder.display()),
            },
        )
        .help(format!(
            "for example `{}`; if these are tasks, give each a front matter (`---`, `id:`, `title:`, `status:`, `---`), as `backlog task edit` writes it",
            example.file.as_ref().map_or("?".to_string(), |f| crate::text::display_path(&f.path))
        ));
        p.level = crate::diag::Level::Warning;
        problems.push(p);
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let items: Vec<Record> = items
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut r))| {
            r.position = i + 1;
            r
        })
        .collect();
    let items = inherit_goals(resolve_milestones(items, &files, &goals), &files);
    let suppressions = model::all_suppressions(&top, &items);
    // Backlog.md's board orders by `ordinal` once someone drags a task; without one, the order is
    // only the order tasks were created in.
    let explicit_order = items.iter().any(|i| i.active() && i.get("ordinal").is_some());
    let dependencies = links(&items, &files);
    let backlog = Backlog {
        files,
        top,
        items,
        goals,
        reorders: Vec::new(),
        dependencies,
        suppressions,
        history: None,
        format: &FORMAT,
        explicit_order,
    };
    Loaded { backlog: Some(backlog), problems }
}

/// A committed `tasks -> /somewhere` link must not bring outside files in: the folder is refused once,
/// not once per file.
fn outside(dir: &Path, repo: &Path) -> Option<Problem> {
    (!crate::files::input::inside(dir, repo)).then(|| {
        Problem::error("I0032", format!("`{}` is a symlink that leads outside the repository", dir.display()))
            .help("backlint reads only files inside the repository; commit the folder itself, not a link")
    })
}

/// Backlog.md's milestones (`milestones/*.md`, put away in `archive/milestones/`) are the goals its
/// tasks name in `milestone:`. A milestone is pursued (`future`) until archived; the policy's
/// `goal_milestone` names the one that carries the active Product Goal.
fn milestones(
    root: &Path,
    repo: &Path,
    read: &impl Fn(&Path) -> Result<SourceFile, Problem>,
    files: &mut Vec<SourceFile>,
    problems: &mut Vec<Problem>,
) -> Vec<Record> {
    let mut goals = Vec::new();
    for (folder, status) in [(root.join("milestones"), "future"), (root.join("archive").join("milestones"), "archived")]
    {
        if !folder.is_dir() {
            continue;
        }
        if let Some(p) = outside(&folder, repo) {
            problems.push(p);
            continue;
        }
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&folder) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md"))
                .collect(),
            Err(e) => {
                problems.push(Problem::error("I0021", format!("cannot read `{}`: {e}", folder.display())));
                continue;
            }
        };
        paths.sort();
        for path in paths {
            let file = match read(&path) {
                Ok(f) => f,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            let Some(goal) = milestone(&file, files.len(), status) else { continue };
            files.push(file);
            goals.push(goal);
        }
    }
    for (i, goal) in goals.iter_mut().enumerate() {
        goal.position = i + 1;
    }
    goals
}

/// One milestone file as a goal: its `id`, its `title` as the statement, and `status`. A file
/// without front matter or without an id is not a milestone Backlog.md would show.
fn milestone(file: &SourceFile, index: usize, status: &str) -> Option<Record> {
    let (fm_start, fm_end, _) = front_matter(&file.text)?;
    let mut node = parse_front_matter(&SourceFile::new(&file.path, &file.text[fm_start..fm_end])).ok()?;
    node.shift(fm_start);
    let id = node.get("id")?.clone();
    model::scalar_text(&id, file)?;
    let mut entries = vec![Entry { key: "id".into(), key_span: id.span, value: id.clone() }];
    if let Some(title) = node.get("title") {
        entries.push(Entry { key: "statement".into(), key_span: title.span, value: title.clone() });
    }
    entries.push(Entry {
        key: "status".into(),
        key_span: id.span,
        value: Node { span: id.span, value: Value::Str(status.into()) },
    });
    let mut goal = Record::new(index, Node { span: node.span, value: Value::Map(entries) }, 0);
    goal.anchor = id.span;
    Some(goal)
}

/// Backlog.md finds a task's milestone by id or by title, ignoring case: the link is rewritten to
/// the milestone's id, keeping its span, so the goal rules compare like with like.
fn resolve_milestones(mut items: Vec<Record>, files: &[SourceFile], goals: &[Record]) -> Vec<Record> {
    let mut by_name = std::collections::HashMap::new();
    for goal in goals {
        let file = &files[goal.file];
        let Some(id) = goal.text("id", file) else { continue };
        by_name.entry(id.to_lowercase()).or_insert_with(|| id.clone());
        if let Some(title) = goal.text("statement", file) {
            by_name.entry(title.trim().to_lowercase()).or_insert(id);
        }
    }
    if by_name.is_empty() {
        return items;
    }
    for item in &mut items {
        let Some(written) = item.text("goal", &files[item.file]) else { continue };
        let Some(id) = by_name.get(written.trim().to_lowercase().as_str()) else { continue };
        if let Value::Map(entries) = &mut item.node.value
            && let Some(e) = entries.iter_mut().find(|e| e.key == "goal")
        {
            e.value.value = Value::Str(id.as_str().into());
        }
    }
    items
}

/// A task's `dependencies` (the tasks it waits for, `blocks` links) and its `parent_task_id` (a
/// `parent-child` link), as Backlog.md writes them.
fn links(items: &[Record], files: &[SourceFile]) -> Vec<Record> {
    let mut out = model::links_from_field(items, files, "dependencies");
    for item in items {
        let file = &files[item.file];
        let (Some(id), Some(parent)) = (item.get("id"), item.get("parent_task_id")) else { continue };
        let (Some(from), Some(to)) = (model::scalar_text(id, file), model::scalar_text(parent, file)) else { continue };
        let text = |span: Span, t: &str| Node { span, value: Value::Str(t.into()) };
        out.push(model::dependency(
            item.file,
            text(id.span, &from),
            text(parent.span, &to),
            text(parent.span, "parent-child"),
        ));
    }
    // Backlog.md matches ids without regard to case (`TASK-24` and `task-24` are one task): links
    // name the task as its own file writes its id.
    let canonical: std::collections::HashMap<String, String> =
        items.iter().filter_map(|r| r.text("id", &files[r.file])).map(|id| (id.to_lowercase(), id)).collect();
    for (i, d) in out.iter_mut().enumerate() {
        d.position = i + 1;
        if let Value::Map(entries) = &mut d.node.value {
            for e in entries.iter_mut().filter(|e| e.key == "from" || e.key == "to") {
                if let Value::Str(id) = &e.value.value
                    && let Some(written) = canonical.get(id.to_lowercase().as_str())
                {
                    e.value.value = Value::Str(written.as_str().into());
                }
            }
        }
    }
    out
}

/// A subtask without a milestone serves its parent's goal: it takes the parent's milestone (through
/// the chain of parents), pointing at its own `parent_task_id`.
fn inherit_goals(mut items: Vec<Record>, files: &[SourceFile]) -> Vec<Record> {
    let text = |r: &Record, f: &str| r.text(f, &files[r.file]);
    let by_id: std::collections::HashMap<String, usize> =
        items.iter().enumerate().filter_map(|(i, r)| text(r, "id").map(|id| (id.to_lowercase(), i))).collect();
    let goal_of = |start: usize| -> Option<String> {
        let mut at = start;
        for _ in 0..32 {
            if let Some(goal) = text(&items[at], "goal") {
                return Some(goal);
            }
            at = *by_id.get(&text(&items[at], "parent_task_id")?.to_lowercase())?;
        }
        None
    };
    let inherited: Vec<Option<String>> =
        (0..items.len()).map(|i| if items[i].get("goal").is_some() { None } else { goal_of(i) }).collect();
    for (item, goal) in items.iter_mut().zip(inherited) {
        let (Some(goal), Some(link)) = (goal, item.get("parent_task_id").map(|n| n.span)) else { continue };
        if let Value::Map(entries) = &mut item.node.value {
            entries.push(Entry {
                key: "goal".into(),
                key_span: link,
                value: Node { span: link, value: Value::Str(goal.into()) },
            });
        }
    }
    items
}

/// Backlog order: tasks under way (a status between the first and the last of `statuses`, the
/// board's middle columns) first, as they are nearest to done; then by `ordinal`, tasks without one
/// last; then by id, comparing numbers inside ids as numbers (`task-2` before `task-10`); tasks
/// kept outside `tasks/` after all. Closed tasks keep their place, so a new task that repeats a
/// finished one still comes after it.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    history: bool,
    /// Not in a middle column of the board. Historical versions all leave it true, so that a task
    /// changing status is not mistaken for a move.
    not_under_way: bool,
    no_ordinal: bool,
    ordinal: f64,
    id: Vec<IdPart>,
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum IdPart {
    Num(u64),
    Text(String),
}

/// The board's statuses, lower case: `config.yml`'s `statuses`, or Backlog.md's default.
pub struct Statuses(Vec<String>);

impl Statuses {
    pub fn of(config: &Node, file: &SourceFile) -> Statuses {
        let listed: Vec<String> = match config.get("statuses").map(|n| &n.value) {
            Some(Value::Seq(list)) => {
                list.iter().filter_map(|n| model::scalar_text(n, file)).map(|s| model::normal_status(&s)).collect()
            }
            _ => Vec::new(),
        };
        Statuses(if listed.len() >= 2 { listed } else { vec!["to do".into(), "in progress".into(), "done".into()] })
    }

    /// In one of the board's middle columns: neither the first status nor the last, nor closing.
    fn under_way(&self, status: Option<&str>) -> bool {
        let Some(status) = status.map(model::normal_status) else { return false };
        let at = self.0.iter().position(|s| *s == status);
        at.is_some_and(|i| i > 0 && i + 1 < self.0.len()) && !model::CLOSING_STATUSES.contains(&status.as_str())
    }
}

impl SortKey {
    pub fn of(record: &Record, file: &SourceFile, history: bool, statuses: &Statuses) -> SortKey {
        let ordinal = match record.get("ordinal").map(|n| &n.value) {
            Some(Value::Num(n)) => Some(*n),
            _ => None,
        };
        let mut key = SortKey::from_parts(ordinal, &record.text("id", file).unwrap_or_default(), history);
        key.not_under_way = !statuses.under_way(record.text("status", file).as_deref());
        key
    }

    /// The key of a task with this `ordinal` (a number, when it has one) and `id`.
    pub fn from_parts(ordinal: Option<f64>, id: &str, history: bool) -> SortKey {
        let ordinal = ordinal.filter(|n| n.is_finite());
        let id = id.to_lowercase();
        let mut parts = Vec::new();
        let mut rest = id.as_str();
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits > 0 {
                parts.push(IdPart::Num(rest[..digits].parse().unwrap_or(u64::MAX)));
                rest = &rest[digits..];
            } else {
                let text = rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
                parts.push(IdPart::Text(rest[..text].to_string()));
                rest = &rest[text..];
            }
        }
        SortKey {
            history,
            not_under_way: true,
            no_ordinal: ordinal.is_none(),
            ordinal: ordinal.unwrap_or(0.0),
            id: parts,
        }
    }
}

impl Eq for SortKey {}
impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.history, self.not_under_way, self.no_ordinal)
            .cmp(&(other.history, other.not_under_way, other.no_ordinal))
            .then(self.ordinal.total_cmp(&other.ordinal))
            .then_with(|| self.id.partial_cmp(&other.id).unwrap_or(std::cmp::Ordering::Equal))
    }
}

/// Where the front matter's YAML is: the byte range between the `---` lines.
pub(crate) fn front_matter(text: &str) -> Option<(usize, usize, usize)> {
    let start = if text.starts_with("---\n") {
        4
    } else if text.starts_with("---\r\n") {
        5
    } else {
        return None;
    };
    let mut pos = start;
    for line in text[start..].split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((start, pos, pos + line.len()));
        }
        pos += line.len();
    }
    None
}

fn problem_at(file: &SourceFile, code: &str, message: String, span: Span, label: &str, help: &str) -> Problem {
    Problem::error(code, message).in_file(file).label(span, label).help(help)
}

/// Front matter as Backlog.md reads it: it quotes `@handle` values (`assignee: @dana`,
/// `- @dana`, `[@dana, @li]`) before parsing, since YAML reserves `@`. Only when the text does not
/// parse as it is, each such `@` is read as `_` (same length, so every span stays exact) and given
/// back in the values that start with it.
fn parse_front_matter(fm: &SourceFile) -> Result<Node, Vec<Problem>> {
    let first = yaml::parse(fm, yaml::Limits::default());
    if first.is_ok() || !fm.text.contains('@') {
        return first;
    }
    let mut bytes = fm.text.as_bytes().to_vec();
    let mut at = std::collections::HashSet::new();
    for (i, byte) in bytes.iter_mut().enumerate() {
        let before = &fm.text.as_bytes()[..i];
        let starts_value =
            before.ends_with(b": ") || before.ends_with(b"- ") || before.ends_with(b"[") || before.ends_with(b", ");
        if *byte == b'@' && starts_value {
            *byte = b'_';
            at.insert(i);
        }
    }
    let Ok(text) = String::from_utf8(bytes) else { return first };
    let Ok(mut node) = yaml::parse(&SourceFile::new(&fm.path, text), yaml::Limits::default()) else { return first };
    fn give_back(node: &mut Node, at: &std::collections::HashSet<usize>) {
        match &mut node.value {
            Value::Str(s) if at.contains(&node.span.start) && s.starts_with('_') => {
                *s = format!("@{}", &s[1..]).into();
            }
            Value::Seq(items) => items.iter_mut().for_each(|n| give_back(n, at)),
            Value::Map(entries) => entries.iter_mut().for_each(|e| give_back(&mut e.value, at)),
            _ => {}
        }
    }
    give_back(&mut node, &at);
    Ok(node)
}

/// Reads one task file into an item record (public for the property tests).
pub fn task(file: &SourceFile, index: usize) -> Result<Record, Problem> {
    let text: &str = &file.text;
    let first_line = Span::new(0, text.find('\n').unwrap_or(text.len()));
    let Some((fm_start, fm_end, body_start)) = front_matter(text) else {
        if text.trim_end_matches(['\r', '\n']) == "---" || text.starts_with("---\n") || text.starts_with("---\r\n") {
            return Err(problem_at(
                file,
                "I0061",
                format!("the front matter of `{}` is not closed", file.name),
                Span::new(0, 3),
                "it starts here",
                "add a `---` line after the task's fields",
            ));
        }
        return Err(problem_at(
            file,
            "I0060",
            format!("`{}` has no front matter, so it is not read as a task", file.name),
            first_line,
            "expected `---` here",
            "start the file with `---`, the task's fields (`id:`, `title:`, `status:` …), and `---`",
        ));
    };
    let fm_file = SourceFile::new(&file.path, &text[fm_start..fm_end]);
    let mut node = parse_front_matter(&fm_file).map_err(|problems| {
        let p = &problems[0];
        let at = p.primary_span().map_or(first_line, |s| Span::new(s.start + fm_start, s.end + fm_start));
        problem_at(
            file,
            "I0061",
            format!("broken front matter: {}", p.message),
            at,
            "here",
            "fix the YAML between the `---` lines",
        )
    })?;
    node.shift(fm_start);
    let Value::Map(fields) = node.value else {
        return Err(problem_at(
            file,
            "I0061",
            "broken front matter: expected `key: value` lines".into(),
            first_line,
            "here",
            "fix the YAML between the `---` lines",
        ));
    };
    let mut entries: Vec<Entry> = Vec::with_capacity(fields.len() + 4);
    for mut e in fields {
        // Backlog.md writes people as lists (`assignee: []`, `[@dana]`); the model reads one text.
        if matches!(e.key.as_str(), "assignee" | "reporter") {
            match &e.value.value {
                Value::Seq(people) if people.is_empty() => continue,
                Value::Seq(people) => {
                    let names: Vec<String> = people.iter().filter_map(|p| model::scalar_text(p, file)).collect();
                    e.value.value = Value::Str(names.join(", ").into());
                }
                _ => {}
            }
        }
        if e.key == "milestone" {
            entries.push(Entry { key: "goal".into(), key_span: e.key_span, value: e.value.clone() });
        }
        entries.push(e);
    }
    let body = parse_body(text, body_start);
    if let Some((span, description)) = body.description {
        entries.push(Entry {
            key: "description".into(),
            key_span: span,
            value: Node { span, value: Value::Str(description.into()) },
        });
    }
    for (key, list) in [("acceptance_criteria", body.criteria), ("definition_of_done", body.done)] {
        if let Some(first) = list.first() {
            let span = first.span.to(list.last().unwrap().span);
            entries.push(Entry {
                key: key.into(),
                key_span: first.span,
                value: Node { span, value: Value::Seq(list) },
            });
        }
    }
    let node = Node { span: Span::new(fm_start, fm_end), value: Value::Map(entries) };
    let mut problems = Vec::new();
    // Type-check the fields we know; Backlog.md's own fields are not typos of ours.
    let known: Vec<(&str, model::FieldType)> = model::ITEM_FIELDS.to_vec();
    if let Value::Map(entries) = &node.value {
        for e in entries.iter().filter(|e| known.iter().any(|(n, _)| *n == e.key)) {
            let single = Node { span: node.span, value: Value::Map(vec![e.clone()]) };
            model::validate(file, &single, model::ITEM_FIELDS, "a task", &mut problems);
        }
    }
    if let Some(p) = problems.into_iter().next() {
        return Err(p);
    }
    Ok(Record::new(index, node, 0))
}

#[derive(Default)]
struct Body {
    description: Option<(Span, String)>,
    criteria: Vec<Node>,
    done: Vec<Node>,
}

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Other,
    Description,
    Criteria,
    Done,
}

fn section_of(heading: &str) -> Section {
    let h = heading.trim().to_lowercase();
    if h.starts_with("acceptance criteria") {
        Section::Criteria
    } else if h.starts_with("definition of done") {
        Section::Done
    } else if h == "description" {
        Section::Description
    } else {
        Section::Other
    }
}

/// Description, acceptance criteria and Definition of Done from the Markdown body. Criteria are
/// checkbox items between `<!-- AC:BEGIN -->` and `<!-- AC:END -->`, or under an
/// `## Acceptance Criteria` heading in older files; each reads `[x] text` or `[ ] text`.
fn parse_body(text: &str, start: usize) -> Body {
    let body = &text[start..];
    let mut out = Body::default();
    let mut section = Section::Other;
    let mut marker: Option<Section> = None;
    let mut heading: Option<(usize, String)> = None;
    let mut description_start: Option<usize> = None;
    let mut item_start: Option<usize> = None;
    let close_description = |out: &mut Body, from: Option<usize>, to: usize| {
        if let Some(from) = from {
            let raw = &body[from..to];
            let trimmed = raw.trim();
            if !trimmed.is_empty() && out.description.is_none() {
                let lead = raw.len() - raw.trim_start().len();
                let s = start + from + lead;
                out.description = Some((Span::new(s, s + trimmed.len()), trimmed.to_string()));
            }
        }
    };
    for (event, range) in Parser::new_ext(body, Options::ENABLE_TASKLISTS).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) if level <= HeadingLevel::H3 => {
                close_description(&mut out, description_start.take(), range.start);
                heading = Some((range.start, String::new()));
            }
            Event::Text(t) if heading.is_some() => heading.as_mut().unwrap().1.push_str(&t),
            Event::End(TagEnd::Heading(_)) => {
                if let Some((_, title)) = heading.take() {
                    section = section_of(&title);
                    if section == Section::Description {
                        description_start = Some(range.end);
                    }
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => {
                let h = html.to_uppercase();
                if h.contains("SECTION:DESCRIPTION:BEGIN") {
                    description_start = Some(range.end);
                } else if h.contains("SECTION:DESCRIPTION:END") {
                    close_description(&mut out, description_start.take(), range.start);
                } else if h.contains("AC:BEGIN") {
                    marker = Some(Section::Criteria);
                } else if h.contains("DOD:BEGIN") {
                    marker = Some(Section::Done);
                } else if h.contains("AC:END") || h.contains("DOD:END") {
                    marker = None;
                }
            }
            Event::Start(Tag::Item) => item_start = Some(range.start),
            Event::TaskListMarker(checked) => {
                let Some(item) = item_start.take() else { continue };
                let target = match marker.unwrap_or(section) {
                    Section::Criteria => &mut out.criteria,
                    Section::Done => &mut out.done,
                    _ => continue,
                };
                let line_end = body[item..].find('\n').map_or(body.len(), |i| item + i);
                let line = &body[item..line_end];
                let content = line.trim_start_matches(['-', '*', '+', ' ', '\t']);
                let content = content.get(3..).unwrap_or("").trim();
                let content =
                    content.trim_start_matches(|c: char| c == '#' || c.is_ascii_digit()).trim_start_matches(['.', ' ']);
                let value = format!("[{}] {}", if checked { "x" } else { " " }, content.trim_end());
                target.push(Node { span: Span::new(start + item, start + line_end), value: Value::Str(value.into()) });
            }
            _ => {}
        }
    }
    close_description(&mut out, description_start.take(), body.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> (SourceFile, Result<Record, Problem>) {
        let file = SourceFile::new("task-1 - x.md", text);
        let r = task(&file, 1);
        (file, r)
    }

    #[test]
    fn reads_front_matter_and_both_criteria_syntaxes() {
        let text = "---\nid: task-7\ntitle: Export CSV\nstatus: To Do\nassignee: []\nmilestone: m-1\n---\n\n## Description\n\nExport the list.\n\n## Acceptance Criteria\n<!-- AC:BEGIN -->\n- [ ] #1 File opens in a spreadsheet\n- [x] #2 Dates are ISO\n<!-- AC:END -->\n";
        let (file, r) = read(text);
        let r = r.unwrap();
        let t = |f: &str| r.text(f, &file);
        assert_eq!(t("title").as_deref(), Some("Export CSV"));
        assert_eq!(t("goal").as_deref(), Some("m-1"));
        assert!(r.get("assignee").is_none());
        assert_eq!(t("description").as_deref(), Some("Export the list."));
        let Value::Seq(ac) = &r.get("acceptance_criteria").unwrap().value else { panic!() };
        assert_eq!(ac.len(), 2);
        assert_eq!(ac[0].value, Value::Str("[ ] File opens in a spreadsheet".into()));
        assert_eq!(ac[1].value, Value::Str("[x] Dates are ISO".into()));
        assert_eq!(&text[ac[1].span.start..ac[1].span.end], "- [x] #2 Dates are ISO");
        let title = r.get("title").unwrap();
        assert_eq!(&text[title.span.start..title.span.end], "Export CSV");
    }

    #[test]
    fn old_files_use_a_plain_heading_and_missing_front_matter_is_reported() {
        let (_, r) = read(
            "---\nid: task-2\ntitle: T\n---\n## Acceptance Criteria\n- [ ] one\n- [ ] two\n## Notes\n- [ ] not a criterion\n",
        );
        let Value::Seq(ac) = &r.unwrap().get("acceptance_criteria").unwrap().value.clone() else { panic!() };
        assert_eq!(ac.len(), 2);
        let (_, r) = read("# Just notes\n");
        assert_eq!(r.unwrap_err().code, "I0060");
        let (_, r) = read("---\nid: [unclosed\n---\n");
        assert_eq!(r.unwrap_err().code, "I0061");
        let (_, r) = read("---\nid: task-3\ntitle: T\n\nThe body\n");
        assert!(r.unwrap_err().message.ends_with("front matter of `task-1 - x.md` is not closed"));
    }

    #[test]
    fn ids_sort_numerically() {
        let file = SourceFile::new("x", "");
        let rec = |id: &str| {
            Record::new(
                0,
                Node {
                    span: Span::default(),
                    value: Value::Map(vec![Entry {
                        key: "id".into(),
                        key_span: Span::default(),
                        value: Node { span: Span::default(), value: Value::Str(id.into()) },
                    }]),
                },
                0,
            )
        };
        let mut keys = ["task-10", "task-2", "task-2.1"]
            .map(|id| (SortKey::of(&rec(id), &file, false, &Statuses(Vec::new())), id));
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(keys.map(|k| k.1), ["task-2", "task-2.1", "task-10"]);
    }
}
