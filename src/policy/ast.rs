//! The policy AST: our own types, a span on every node. Nothing outside `parse` sees pest.

use crate::text::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub declarations: Vec<Declaration>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Declaration {
    /// `include "team.policy"`: a path relative to the including file.
    Include {
        path: Template,
    },
    Settings {
        assignments: Vec<Assignment>,
        span: Span,
    },
    Configure {
        rule: Name,
        assignments: Vec<Assignment>,
        span: Span,
    },
    Disable {
        rule: Name,
    },
    Enable {
        rule: Name,
    },
    Rule(RuleDecl),
    Test(TestDecl),
}

/// `test "name" { backlog = """…""" }`, inside a rule or at the top level.
#[derive(Clone, Debug, PartialEq)]
pub struct TestDecl {
    pub name: Template,
    pub assignments: Vec<Assignment>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub name: Name,
    pub value: Expr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleDecl {
    pub name: Name,
    /// `group = …`, `severity = …`, `summary = …`, `help = …`, `enabled = …`
    pub meta: Vec<Assignment>,
    pub options: Vec<Assignment>,
    pub explain: Option<Explain>,
    pub checks: Vec<Check>,
    pub tests: Vec<TestDecl>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Explain {
    pub sections: Vec<Assignment>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub range: Range,
    pub filter: Option<Expr>,
    pub mode: Mode,
    pub condition: Expr,
    pub at: Option<Expr>,
    pub message: Template,
    pub label: Option<Template>,
    pub help: Option<Template>,
    pub severity: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Range {
    /// `for backlog`: the check runs once, with `backlog` bound.
    Backlog { span: Span },
    /// `for item in near`
    Each { var: Name, collection: Expr },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Require,
    Forbid,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<Part>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text(String),
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    Text(Template),
    List(Vec<Expr>),
    Name(String),
    Field(Box<Expr>, Name),
    Index(Box<Expr>, Box<Expr>),
    Call(Name, Vec<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }
}

impl Template {
    /// The text of a template without interpolation, if it has none.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(_) => return None,
            }
        }
        Some(out)
    }
}
