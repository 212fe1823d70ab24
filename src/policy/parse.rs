//! Policy text → AST. The only module that touches pest.

use super::ast::*;
use crate::diag::Problem;
use crate::text::{SourceFile, Span};
use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/backlint.pest"]
struct Grammar;

/// Deepest expression nesting accepted; beyond it a hostile policy could exhaust the stack.
const MAX_NESTING: usize = 128;
/// Most operators (and operands) in one expression: a flat `a and b and …` chain also becomes a
/// deep tree, so it is bounded like nesting is.
const MAX_TERMS: usize = 1024;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::prefix(Rule::not_op))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left)
            | Op::infix(Rule::in_op, Assoc::Left)
            | Op::infix(Rule::not_in, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left) | Op::infix(Rule::rem, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::field) | Op::postfix(Rule::index))
});

/// Parses one policy file. A syntax error stops parsing (pest reports the first one).
pub fn parse(file: &SourceFile) -> Result<Policy, Problem> {
    if let Some(span) = too_deep(&file.text) {
        return Err(Problem::error("P0002", format!("expression nested more than {MAX_NESTING} levels deep"))
            .in_file(file)
            .label(span, "too deep")
            .help("split the expression into simpler checks"));
    }
    let pairs = Grammar::parse(Rule::policy, &file.text).map_err(|e| syntax_error(file, e))?;
    if let Some(long) =
        pairs.clone().flatten().find(|p| p.as_rule() == Rule::expr && p.clone().into_inner().count() > MAX_TERMS)
    {
        return Err(Problem::error("P0002", format!("expression has more than {MAX_TERMS} terms and operators"))
            .in_file(file)
            .label(Span::new(long.as_span().start(), long.as_span().start() + 1), "this expression is too long")
            .help("split the expression into several checks or rules"));
    }
    let policy = pairs.into_iter().next().expect("the grammar always yields `policy`");
    let declarations = policy.into_inner().filter(|p| p.as_rule() != Rule::EOI).map(declaration).collect();
    Ok(Policy { declarations })
}

/// Brackets nested past our limit, found before pest's recursive descent could overflow the stack.
fn too_deep(text: &str) -> Option<Span> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(Span::new(i, i + 1));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn span(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn name(p: Pair<Rule>) -> Name {
    Name { span: span(&p), text: p.as_str().to_string() }
}

fn declaration(p: Pair<Rule>) -> Declaration {
    let whole = span(&p);
    match p.as_rule() {
        Rule::settings => Declaration::Settings { assignments: p.into_inner().map(assignment).collect(), span: whole },
        Rule::configure => {
            let mut inner = p.into_inner();
            let rule = name(inner.next().unwrap());
            Declaration::Configure { rule, assignments: inner.map(assignment).collect(), span: whole }
        }
        Rule::disable => Declaration::Disable { rule: name(p.into_inner().next().unwrap()) },
        Rule::enable => Declaration::Enable { rule: name(p.into_inner().next().unwrap()) },
        Rule::rule => Declaration::Rule(rule_decl(p)),
        Rule::include => Declaration::Include { path: template(p.into_inner().next().unwrap()) },
        Rule::test => Declaration::Test(test_decl(p)),
        other => unreachable!("not a declaration: {other:?}"),
    }
}

fn test_decl(p: Pair<Rule>) -> TestDecl {
    let span = span(&p);
    let mut inner = p.into_inner();
    let name = template(inner.next().unwrap());
    TestDecl { name, assignments: inner.map(assignment).collect(), span }
}

fn assignment(p: Pair<Rule>) -> Assignment {
    let mut inner = p.into_inner();
    Assignment { name: name(inner.next().unwrap()), value: expr(inner.next().unwrap()) }
}

fn rule_decl(p: Pair<Rule>) -> RuleDecl {
    let whole = span(&p);
    let mut inner = p.into_inner();
    let rule_name = name(inner.next().unwrap());
    let mut decl = RuleDecl {
        name: rule_name,
        meta: vec![],
        options: vec![],
        explain: None,
        checks: vec![],
        tests: vec![],
        span: whole,
    };
    for part in inner {
        match part.as_rule() {
            Rule::meta => decl.meta.push(assignment(part)),
            Rule::option => decl.options.push(assignment(part)),
            Rule::explain => {
                let span = span(&part);
                decl.explain = Some(Explain { sections: part.into_inner().map(assignment).collect(), span });
            }
            Rule::check => decl.checks.push(check(part)),
            Rule::test => decl.tests.push(test_decl(part)),
            other => unreachable!("not a rule part: {other:?}"),
        }
    }
    decl
}

fn check(p: Pair<Rule>) -> Check {
    let whole = span(&p);
    let mut range = None;
    let mut filter = None;
    let mut condition = None;
    let mut at = None;
    let mut message = None;
    let (mut label, mut help, mut severity) = (None, None, None);
    for clause in p.into_inner() {
        let kind = clause.as_rule();
        let clause_span = span(&clause);
        let mut inner = clause.into_inner();
        match kind {
            Rule::for_clause => {
                let first = inner.next().unwrap();
                range = Some(if first.as_rule() == Rule::for_backlog {
                    Range::Backlog { span: span(&first) }
                } else {
                    Range::Each { var: name(first), collection: expr(inner.next().unwrap()) }
                });
            }
            Rule::where_clause => filter = Some(expr(inner.next().unwrap())),
            Rule::condition => {
                let mode =
                    if inner.next().unwrap().as_rule() == Rule::require_kw { Mode::Require } else { Mode::Forbid };
                condition = Some((mode, expr(inner.next().unwrap())));
            }
            Rule::at_clause => at = Some(expr(inner.next().unwrap())),
            Rule::message_clause => message = Some(template(inner.next().unwrap())),
            Rule::label_clause => label = Some(template(inner.next().unwrap())),
            Rule::help_clause => help = Some(template(inner.next().unwrap())),
            Rule::severity_clause => severity = Some(name(inner.next().unwrap())),
            other => unreachable!("not a check clause: {other:?} at {clause_span:?}"),
        }
    }
    let (mode, condition) = condition.expect("grammar requires a condition");
    Check {
        range: range.expect("grammar requires `for`"),
        filter,
        mode,
        condition,
        at,
        message: message.expect("grammar requires `message`"),
        label,
        help,
        severity,
        span: whole,
    }
}

fn expr(p: Pair<Rule>) -> Expr {
    pratt(p.into_inner())
}

fn pratt(pairs: Pairs<Rule>) -> Expr {
    PRATT
        .map_primary(primary)
        .map_prefix(|op, rhs| {
            let kind = if op.as_rule() == Rule::not_op { UnaryOp::Not } else { UnaryOp::Neg };
            let span = span(&op).to(rhs.span);
            Expr { kind: ExprKind::Unary(kind, Box::new(rhs)), span }
        })
        .map_postfix(|lhs, op| {
            let span = lhs.span.to(span(&op));
            let kind = match op.as_rule() {
                Rule::field => ExprKind::Field(Box::new(lhs), name(op.into_inner().next().unwrap())),
                _ => ExprKind::Index(Box::new(lhs), Box::new(expr(op.into_inner().next().unwrap()))),
            };
            Expr { kind, span }
        })
        .map_infix(|lhs, op, rhs| {
            let op = match op.as_rule() {
                Rule::or => BinaryOp::Or,
                Rule::and => BinaryOp::And,
                Rule::eq => BinaryOp::Eq,
                Rule::ne => BinaryOp::Ne,
                Rule::lt => BinaryOp::Lt,
                Rule::le => BinaryOp::Le,
                Rule::gt => BinaryOp::Gt,
                Rule::ge => BinaryOp::Ge,
                Rule::in_op => BinaryOp::In,
                Rule::not_in => BinaryOp::NotIn,
                Rule::add => BinaryOp::Add,
                Rule::sub => BinaryOp::Sub,
                Rule::mul => BinaryOp::Mul,
                Rule::div => BinaryOp::Div,
                _ => BinaryOp::Rem,
            };
            let span = lhs.span.to(rhs.span);
            Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span }
        })
        .parse(pairs)
}

fn primary(p: Pair<Rule>) -> Expr {
    let s = span(&p);
    let kind = match p.as_rule() {
        Rule::number => ExprKind::Number(p.as_str().parse().unwrap_or(f64::NAN)),
        Rule::boolean => ExprKind::Bool(p.as_str() == "true"),
        Rule::null => ExprKind::Null,
        Rule::string => ExprKind::Text(template(p)),
        Rule::text_block => ExprKind::Text(Template { parts: vec![Part::Text(text_block(p.as_str()))], span: s }),
        Rule::name => ExprKind::Name(p.into_inner().next().unwrap().as_str().to_string()),
        Rule::list => ExprKind::List(p.into_inner().map(expr).collect()),
        Rule::call => {
            let mut inner = p.into_inner();
            let function = name(inner.next().unwrap());
            ExprKind::Call(function, inner.map(expr).collect())
        }
        Rule::expr => return expr(p),
        other => unreachable!("not a primary: {other:?}"),
    };
    Expr { kind, span: s }
}

fn template(p: Pair<Rule>) -> Template {
    let s = span(&p);
    let mut parts = Vec::new();
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::text_part => parts.push(Part::Text(unescape(part.as_str()))),
            Rule::interpolation => parts.push(Part::Expr(expr(part.into_inner().next().unwrap()))),
            other => unreachable!("not a string part: {other:?}"),
        }
    }
    Template { parts, span: s }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The body of a `"""` block with its common indentation and the blank first/last lines removed.
fn text_block(raw: &str) -> String {
    let body = &raw[3..raw.len() - 3];
    let lines: Vec<&str> = body.lines().collect();
    let start = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(lines.len());
    let end = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(start, |i| i + 1);
    let lines = &lines[start..end];
    let indent =
        lines.iter().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
    lines.iter().map(|l| l.get(indent..).unwrap_or("").trim_end()).collect::<Vec<_>>().join("\n")
}

/// What a grammar rule is called in "expected …" messages.
fn describe_rule(kind: Rule) -> Option<&'static str> {
    Some(match kind {
        Rule::EOI => "end of file",
        Rule::settings | Rule::configure | Rule::disable | Rule::enable | Rule::rule | Rule::include => {
            "a declaration (`settings`, `rule`, `configure`, `disable`, `enable`, `include`)"
        }
        Rule::assignment => "a setting (`name = value`)",
        Rule::rule_name => "a rule name (lowercase words joined by `-`)",
        Rule::ident | Rule::name => "a name",
        Rule::meta | Rule::meta_key => "a rule field (`group`, `severity`, `summary`, `help`, `enabled`)",
        Rule::option => "`option`",
        Rule::explain => "`explain`",
        Rule::test => "`test`",
        Rule::check | Rule::for_clause => "a check (`for … in …`)",
        Rule::for_backlog => "`backlog`",
        Rule::where_clause => "`where`",
        Rule::condition => "`require` or `forbid`",
        Rule::require_kw | Rule::forbid_kw => "`require` or `forbid`",
        Rule::at_clause => "`at`",
        Rule::message_clause => "`message \"…\"`",
        Rule::label_clause | Rule::help_clause | Rule::severity_clause => "`label`, `help` or `severity`",
        Rule::expr => "an expression",
        Rule::not_op | Rule::neg => "an expression",
        Rule::or
        | Rule::and
        | Rule::not_in
        | Rule::in_op
        | Rule::eq
        | Rule::ne
        | Rule::le
        | Rule::ge
        | Rule::lt
        | Rule::gt => "an operator",
        Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::rem => "an operator",
        Rule::field => "`.field`",
        Rule::index => "`[index]`",
        Rule::call => "a function call",
        Rule::list => "a list `[…]`",
        Rule::number => "a number",
        Rule::string | Rule::text_block => "a string",
        Rule::boolean => "`true` or `false`",
        Rule::null => "`null`",
        Rule::interpolation => "`{expression}`",
        Rule::text_part | Rule::escape => "text",
        _ => return None,
    })
}

fn syntax_error(file: &SourceFile, e: pest::error::Error<Rule>) -> Problem {
    let at = match e.location {
        InputLocation::Pos(p) => Span::new(p, p),
        InputLocation::Span((a, b)) => Span::new(a, b),
    };
    // Point at the offending token (or the character) rather than an empty span.
    let token_end = file.text[at.start..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || (!c.is_alphanumeric() && *c != '_' && *c != '-'))
        .map_or(file.text.len(), |(i, c)| at.start + if i == 0 { c.len_utf8() } else { i });
    let found = &file.text[at.start..token_end.min(file.text.len())];
    let label = if found.is_empty() { "end of file".to_string() } else { format!("found `{found}`") };
    let span = Span::new(at.start, token_end.max(at.start));
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, negatives } => {
            let mut names: Vec<&str> = positives.iter().filter_map(|r| describe_rule(*r)).collect();
            names.dedup();
            let mut unique = Vec::new();
            for n in names {
                if !unique.contains(&n) {
                    unique.push(n);
                }
            }
            if unique.is_empty() {
                let not: Vec<&str> = negatives.iter().filter_map(|r| describe_rule(*r)).collect();
                if not.is_empty() { format!("unexpected {}", not.join(" or ")) } else { "syntax error".to_string() }
            } else {
                format!("expected {}", join_or(&unique))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Problem::error("P0001", format!("syntax error: {message}"))
        .in_file(file)
        .label(span, label)
        .help("see the policy language in README.md (section \"Policy language\")")
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}
