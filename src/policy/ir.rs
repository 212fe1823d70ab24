//! The checked, resolved form of a policy that the engine runs. Names are resolved, options are
//! constants, regexes are compiled, and loop-invariant subexpressions are marked for caching.

use super::ast::{BinaryOp, Mode};
use crate::diag::Level;
use crate::source::{SourceFile, Span};

#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Num(f64),
    Text(String),
    List(Vec<Const>),
}

impl Const {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Const::Text(t) => Some(t),
            _ => None,
        }
    }
    pub fn describe(&self) -> String {
        match self {
            Const::Null => "null".into(),
            Const::Bool(b) => b.to_string(),
            Const::Num(n) => super::eval::format_number(*n),
            Const::Text(t) => format!("\"{t}\""),
            Const::List(items) => format!("[{}]", items.iter().map(Const::describe).collect::<Vec<_>>().join(", ")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Global {
    Backlog,
    Items,
    Near,
    Distant,
    Goals,
    Reorders,
    ProductOwner,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Exists,
    Empty,
    Count,
    Len,
    Words,
    Lower,
    Upper,
    Trim,
    Contains,
    Matches,
    StartsWith,
    EndsWith,
    Distinct,
    Find,
    PositionOf,
    Join,
}

#[derive(Clone, Debug)]
pub enum Ir {
    Const(Const),
    /// The check's loop variable.
    Var,
    Global(Global),
    Field(Box<Ir>, String),
    Index(Box<Ir>, Box<Ir>),
    Call(Func, Vec<Ir>),
    Matches(Box<Ir>, regex::Regex),
    Not(Box<Ir>),
    Neg(Box<Ir>),
    Binary(BinaryOp, Box<Ir>, Box<Ir>),
    List(Vec<Ir>),
    Template(Vec<IrPart>),
    /// Does not depend on the loop variable: computed once per check and backlog, in cache `slot`.
    Cached(usize, Box<Ir>),
}

#[derive(Clone, Debug)]
pub enum IrPart {
    Text(String),
    Expr(Ir),
}

#[derive(Clone, Debug)]
pub enum IrRange {
    Backlog,
    Each(Ir),
}

#[derive(Clone, Debug)]
pub struct CompiledCheck {
    pub range: IrRange,
    pub filter: Option<Ir>,
    pub mode: Mode,
    pub condition: Ir,
    pub at: Option<Ir>,
    pub message: Vec<IrPart>,
    pub label: Option<Vec<IrPart>>,
    pub help: Option<Vec<IrPart>>,
    pub severity: Option<Level>,
    pub cache_slots: usize,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    pub what: String,
    pub why: String,
    pub fix: String,
    pub example: String,
}

#[derive(Clone, Debug)]
pub struct CompiledRule {
    pub name: String,
    pub group: String,
    pub severity: Level,
    pub enabled: bool,
    pub summary: String,
    pub help: Option<String>,
    pub explanation: Option<Explanation>,
    pub options: Vec<(String, Const)>,
    pub checks: Vec<CompiledCheck>,
    /// The policy file that defines the rule, and where.
    pub file: SourceFile,
    pub span: Span,
    pub builtin: bool,
    /// A policy's `configure … { severity = … }` replaces each check's own severity too.
    pub severity_configured: bool,
}

/// Where a setting's value came from, for `--show-policy` style reporting.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub product_owner: Option<String>,
    pub near: usize,
    pub distant: usize,
    pub fail_on: Level,
    pub done_statuses: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            product_owner: None,
            near: 10,
            distant: 30,
            fail_on: Level::Warning,
            done_statuses: vec!["done".into()],
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct CompiledPolicy {
    pub settings: Settings,
    pub rules: Vec<CompiledRule>,
}

impl CompiledPolicy {
    pub fn rule(&self, name: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.name == name)
    }
}
