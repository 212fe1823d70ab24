//! The built-in rules compiled ahead of time: their IR (and their tests) as a compact byte image,
//! `builtin.image`, embedded in the binary. Parsing the 30-odd rule files with pest was most of a
//! small run; reading the image costs a few hundred thousand instructions.
//!
//! The image is made from the rule files by `policy::tests::builtin_image_is_current`, which
//! rewrites it and fails when it differs. It starts with a hash (computed by `build.rs`) of the rule
//! files and of the compiler's own sources: an image made from other rules or by another compiler
//! is never read, and the rules are then compiled from their text as before.

use super::ast::{BinaryOp, Mode};
use super::check::{Compiled, FUNCTIONS, GLOBALS};
use super::ir::*;
use crate::diag::Level;
use crate::text::{SourceFile, Span};

const MAGIC: &[u8; 4] = b"BLI1";

const OPS: [BinaryOp; 15] = [
    BinaryOp::Or,
    BinaryOp::And,
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::In,
    BinaryOp::NotIn,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Rem,
];
const LEVELS: [Level; 3] = [Level::Info, Level::Warning, Level::Error];

/// The image of built-in rules compiled from `files` (the embedded rule files, in order).
pub fn encode(hash: u64, files: &[(&str, &str)], compiled: &Compiled) -> Vec<u8> {
    let mut w = Writer { out: MAGIC.to_vec(), files };
    w.out.extend_from_slice(&hash.to_le_bytes());
    w.len(compiled.rules.len());
    for rule in &compiled.rules {
        w.rule(rule);
    }
    w.len(compiled.tests.len());
    for t in &compiled.tests {
        w.text(&t.name);
        w.opt(t.rule.as_ref(), |w, r| w.text(r));
        w.text(&t.backlog);
        w.file(&t.file);
        w.span(t.span);
    }
    w.out
}

/// The rules and tests of an image, if it was made from these files by this compiler.
pub fn decode(image: &[u8], hash: u64, files: &[(&str, &str)]) -> Option<Compiled> {
    let rest = image.strip_prefix(MAGIC)?;
    let (stamp, rest) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*stamp) != hash {
        return None;
    }
    // One source file per rule file, shared by its rules and tests.
    let sources: Vec<SourceFile> = files.iter().map(|(path, text)| SourceFile::new(path, *text)).collect();
    let mut r = Reader { bytes: rest, sources: &sources };
    let rules = (0..r.len()?).map(|_| r.rule()).collect::<Option<Vec<_>>>()?;
    let tests = (0..r.len()?)
        .map(|_| {
            Some(PolicyTest {
                name: r.text()?,
                rule: r.opt(Reader::text)?,
                backlog: r.text()?,
                file: r.file()?,
                span: r.span()?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    r.bytes.is_empty().then_some(Compiled { rules, tests })
}

struct Writer<'f> {
    out: Vec<u8>,
    files: &'f [(&'f str, &'f str)],
}

impl Writer<'_> {
    fn len(&mut self, mut n: usize) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.out.push(byte);
                return;
            }
            self.out.push(byte | 0x80);
        }
    }
    fn flag(&mut self, b: bool) {
        self.out.push(b as u8);
    }
    fn text(&mut self, s: &str) {
        self.len(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }
    fn opt<T>(&mut self, value: Option<T>, f: impl FnOnce(&mut Self, T)) {
        self.flag(value.is_some());
        if let Some(v) = value {
            f(self, v);
        }
    }
    fn index<T: PartialEq>(&mut self, all: impl IntoIterator<Item = T>, value: T, what: &str) {
        let i = all.into_iter().position(|v| v == value);
        self.len(i.unwrap_or_else(|| panic!("{what} missing from the image's table")));
    }
    fn span(&mut self, s: Span) {
        self.len(s.start);
        self.len(s.end);
    }
    fn file(&mut self, f: &SourceFile) {
        let path = f.path.to_string_lossy();
        self.index(self.files.iter().map(|(p, _)| *p), path.as_ref(), "a built-in rule's file");
    }
    fn level(&mut self, l: Level) {
        self.index(LEVELS, l, "a level");
    }
    fn rule(&mut self, r: &CompiledRule) {
        assert!(r.builtin && !r.severity_configured && !r.options_configured, "only built-in rules, as written");
        self.text(&r.name);
        self.text(&r.group);
        self.level(r.severity);
        self.flag(r.enabled);
        self.text(&r.summary);
        self.opt(r.help.as_ref(), |w, h| w.text(h));
        self.opt(r.explanation.as_ref(), |w, e| {
            for s in [&e.what, &e.why, &e.fix, &e.example] {
                w.text(s);
            }
        });
        self.len(r.options.len());
        for (name, value) in &r.options {
            self.text(name);
            self.constant(value);
        }
        self.len(r.checks.len());
        for c in &r.checks {
            self.check(c);
        }
        self.file(&r.file);
        self.span(r.span);
    }
    fn check(&mut self, c: &CompiledCheck) {
        self.flag(c.notice);
        match &c.range {
            IrRange::Backlog => self.flag(false),
            IrRange::Each(ir) => {
                self.flag(true);
                self.ir(ir);
            }
        }
        self.opt(c.filter.as_ref(), Self::ir);
        self.flag(c.mode == Mode::Forbid);
        self.ir(&c.condition);
        self.opt(c.at.as_ref(), Self::ir);
        self.parts(&c.message);
        self.opt(c.label.as_ref(), |w, p| w.parts(p));
        self.opt(c.help.as_ref(), |w, p| w.parts(p));
        self.opt(c.severity, Self::level);
        self.len(c.cache_slots);
    }
    fn parts(&mut self, parts: &[IrPart]) {
        self.len(parts.len());
        for p in parts {
            match p {
                IrPart::Text(t) => {
                    self.flag(false);
                    self.text(t);
                }
                IrPart::Expr(e) => {
                    self.flag(true);
                    self.ir(e);
                }
            }
        }
    }
    fn constant(&mut self, c: &Const) {
        match c {
            Const::Null => self.out.push(0),
            Const::Bool(b) => {
                self.out.push(1);
                self.flag(*b);
            }
            Const::Num(n) => {
                self.out.push(2);
                self.out.extend_from_slice(&n.to_le_bytes());
            }
            Const::Text(t) => {
                self.out.push(3);
                self.text(t);
            }
            Const::List(items) => {
                self.out.push(4);
                self.len(items.len());
                for i in items {
                    self.constant(i);
                }
            }
        }
    }
    fn ir(&mut self, ir: &Ir) {
        match ir {
            Ir::Const(c) => {
                self.out.push(0);
                self.constant(c);
            }
            Ir::Var => self.out.push(1),
            Ir::Global(g) => {
                self.out.push(2);
                self.index(GLOBALS.iter().map(|(_, g)| *g), *g, "a global");
            }
            Ir::Field(e, name) => {
                self.out.push(3);
                self.ir(e);
                self.text(name.as_str());
            }
            Ir::Index(a, b) => {
                self.out.push(4);
                self.ir(a);
                self.ir(b);
            }
            Ir::Call(f, args) => {
                self.out.push(5);
                self.index(FUNCTIONS.iter().map(|(_, f, _)| *f), *f, "a function");
                self.len(args.len());
                for a in args {
                    self.ir(a);
                }
            }
            Ir::Matches(e, p) | Ir::CountMatching(e, p) => {
                self.out.push(if matches!(ir, Ir::Matches(..)) { 6 } else { 7 });
                self.ir(e);
                self.text(p.source());
            }
            Ir::Not(e) => {
                self.out.push(8);
                self.ir(e);
            }
            Ir::Neg(e) => {
                self.out.push(9);
                self.ir(e);
            }
            Ir::Binary(op, a, b) => {
                self.out.push(10);
                self.index(OPS, *op, "an operator");
                self.ir(a);
                self.ir(b);
            }
            Ir::List(items) => {
                self.out.push(11);
                self.len(items.len());
                for i in items {
                    self.ir(i);
                }
            }
            Ir::Template(parts) => {
                self.out.push(12);
                self.parts(parts);
            }
            Ir::Cached(slot, e) => {
                self.out.push(13);
                self.len(*slot);
                self.ir(e);
            }
        }
    }
}

/// Reads what `Writer` wrote; `None` for anything else (the image is then not used).
struct Reader<'a> {
    bytes: &'a [u8],
    sources: &'a [SourceFile],
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.bytes.split_first()?;
        self.bytes = rest;
        Some(*b)
    }
    fn len(&mut self) -> Option<usize> {
        let mut n = 0usize;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }
    fn flag(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    fn text(&mut self) -> Option<String> {
        let n = self.len()?;
        let (s, rest) = self.bytes.split_at_checked(n)?;
        self.bytes = rest;
        std::str::from_utf8(s).ok().map(str::to_string)
    }
    fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        Some(if self.flag()? { Some(f(self)?) } else { None })
    }
    fn pick<T: Copy>(&mut self, all: &[T]) -> Option<T> {
        all.get(self.len()?).copied()
    }
    fn span(&mut self) -> Option<Span> {
        Some(Span::new(self.len()?, self.len()?))
    }
    fn file(&mut self) -> Option<SourceFile> {
        self.sources.get(self.len()?).cloned()
    }
    fn level(&mut self) -> Option<Level> {
        self.pick(&LEVELS)
    }
    fn rule(&mut self) -> Option<CompiledRule> {
        Some(CompiledRule {
            name: self.text()?,
            group: self.text()?,
            severity: self.level()?,
            enabled: self.flag()?,
            summary: self.text()?,
            help: self.opt(Self::text)?,
            explanation: self
                .opt(|r| Some(Explanation { what: r.text()?, why: r.text()?, fix: r.text()?, example: r.text()? }))?,
            options: (0..self.len()?).map(|_| Some((self.text()?, self.constant()?))).collect::<Option<_>>()?,
            checks: (0..self.len()?).map(|_| self.check()).collect::<Option<_>>()?,
            file: self.file()?,
            span: self.span()?,
            builtin: true,
            severity_configured: false,
            options_configured: false,
        })
    }
    fn check(&mut self) -> Option<CompiledCheck> {
        Some(CompiledCheck {
            notice: self.flag()?,
            range: if self.flag()? { IrRange::Each(self.ir()?) } else { IrRange::Backlog },
            filter: self.opt(Self::ir)?,
            mode: if self.flag()? { Mode::Forbid } else { Mode::Require },
            condition: self.ir()?,
            at: self.opt(Self::ir)?,
            message: self.parts()?,
            label: self.opt(Self::parts)?,
            help: self.opt(Self::parts)?,
            severity: self.opt(Self::level)?,
            cache_slots: self.len()?,
        })
    }
    fn parts(&mut self) -> Option<Vec<IrPart>> {
        (0..self.len()?)
            .map(|_| Some(if self.flag()? { IrPart::Expr(self.ir()?) } else { IrPart::Text(self.text()?) }))
            .collect()
    }
    fn constant(&mut self) -> Option<Const> {
        Some(match self.byte()? {
            0 => Const::Null,
            1 => Const::Bool(self.flag()?),
            2 => {
                let (n, rest) = self.bytes.split_first_chunk::<8>()?;
                self.bytes = rest;
                Const::Num(f64::from_le_bytes(*n))
            }
            3 => Const::Text(self.text()?),
            4 => Const::List((0..self.len()?).map(|_| self.constant()).collect::<Option<_>>()?),
            _ => return None,
        })
    }
    fn boxed(&mut self) -> Option<Box<Ir>> {
        self.ir().map(Box::new)
    }
    fn ir(&mut self) -> Option<Ir> {
        Some(match self.byte()? {
            0 => Ir::Const(self.constant()?),
            1 => Ir::Var,
            2 => Ir::Global(GLOBALS.get(self.len()?)?.1),
            3 => Ir::Field(self.boxed()?, FieldName::new(self.text()?)),
            4 => Ir::Index(self.boxed()?, self.boxed()?),
            5 => {
                let f = FUNCTIONS.get(self.len()?)?.1;
                Ir::Call(f, (0..self.len()?).map(|_| self.ir()).collect::<Option<_>>()?)
            }
            // Built-in patterns compile on first use; the tests compile every one.
            6 => Ir::Matches(self.boxed()?, Pattern::deferred(&self.text()?)),
            7 => Ir::CountMatching(self.boxed()?, Pattern::deferred(&self.text()?)),
            8 => Ir::Not(self.boxed()?),
            9 => Ir::Neg(self.boxed()?),
            10 => Ir::Binary(self.pick(&OPS)?, self.boxed()?, self.boxed()?),
            11 => Ir::List((0..self.len()?).map(|_| self.ir()).collect::<Option<_>>()?),
            12 => Ir::Template(self.parts()?),
            13 => Ir::Cached(self.len()?, self.boxed()?),
            _ => return None,
        })
    }
}
