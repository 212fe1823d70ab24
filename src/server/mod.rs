//! `backlint server`: a language server over standard input and output. It checks what the editor
//! holds (unsaved buffers stand in for their files through [`analysis::Documents`]) with the same
//! pipeline, policy discovery and severities as `check`, and publishes the findings per file: a
//! Backlog.md task file gets the findings of the whole backlog it belongs to that point into it.
//! Hover shows a rule's explanation; code actions are the fixes of [`crate::fix`]. A request that
//! panics is answered with an error and the server keeps serving.

pub mod convert;

use crate::analysis::{self, Analysis, Documents, HistoryCache, HistoryOptions, Message as Said, PolicyCache, Request};
use crate::diag::{Level, Problem};
use crate::engine::Finding;
use crate::model::Backlog;
use crate::policy::ir::CompiledRule;
use convert::{Encoding, Lines};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request as RpcRequest, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    PublishDiagnosticsParams, TextEdit, Uri, WorkspaceEdit,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long the server waits after a change for the next one before checking: typing a word is one
/// check, not one per key. Short, so the diagnostics follow the text closely.
pub const DEBOUNCE: Duration = Duration::from_millis(20);

/// Serves until the client says `exit`. The exit code: 0 after `shutdown`, 1 without it, 2 when the
/// connection failed.
pub fn run() -> i32 {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("backlint server: {e}");
            2
        }
    };
    drop(connection);
    match io_threads.join() {
        Ok(()) => code,
        Err(e) => {
            eprintln!("backlint server: {e}");
            code.max(2)
        }
    }
}

fn serve(connection: &Connection) -> Result<i32, lsp_server::ProtocolError> {
    let (id, params) = connection.initialize_start()?;
    let offered = |kind: &str| {
        params
            .pointer("/capabilities/general/positionEncodings")
            .and_then(Value::as_array)
            .is_some_and(|kinds| kinds.iter().any(|k| k == kind))
    };
    let encoding = if offered("utf-8") { Encoding::Utf8 } else { Encoding::Utf16 };
    let capabilities = json!({
        "positionEncoding": if encoding == Encoding::Utf8 { "utf-8" } else { "utf-16" },
        "textDocumentSync": { "openClose": true, "change": 1, "save": { "includeText": false } },
        "hoverProvider": true,
        "codeActionProvider": { "codeActionKinds": ["quickfix"] },
    });
    let result = json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "backlint", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result)?;
    let mut server = Server::new(connection.sender.clone(), encoding);
    let mut shut_down = false;
    loop {
        let message = match server.deadline {
            Some(deadline) => {
                match connection.receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(m) => m,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        server.check_pending();
                        continue;
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                }
            }
            None => match connection.receiver.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match message {
            Message::Request(req) if req.method == "shutdown" => {
                shut_down = true;
                server.respond(Response::new_ok(req.id, ()));
            }
            Message::Request(req) if shut_down => server.respond(Response::new_err(
                req.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            )),
            Message::Request(req) => server.request(req),
            Message::Notification(n) if n.method == "exit" => return Ok(if shut_down { 0 } else { 1 }),
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => {}
        }
    }
    Ok(if shut_down { 0 } else { 1 })
}

/// What the server checks for one open file: a backlog (its file, or its Backlog.md folder), or a
/// policy file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Target {
    Backlog(PathBuf),
    Policy(PathBuf),
}

/// The target a file belongs to, if backlint reads it: native backlog names, Jira CSV exports,
/// Backlog.md task files and `config.yml`, beads trackers, policy files. Any other YAML is left alone.
fn target_of(path: &Path, text: &str) -> Option<Target> {
    let name = path.file_name()?.to_string_lossy();
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if ext == "policy" {
        return Some(Target::Policy(path.to_path_buf()));
    }
    if crate::source::discover::is_backlog_name(&name) {
        return Some(Target::Backlog(path.to_path_buf()));
    }
    if ext == "csv" && crate::source::jira_csv::is_jira_header(text) {
        return Some(Target::Backlog(path.to_path_buf()));
    }
    if name == crate::source::discover::BEADS_FILE
        && path.parent().and_then(Path::file_name).is_some_and(|d| d == crate::source::discover::BEADS_FOLDER)
    {
        return Some(Target::Backlog(path.to_path_buf()));
    }
    if ext == "md" || name == "config.yml" {
        // A task sits in `backlog/tasks/` (or drafts, completed, archive); config.yml in `backlog/`.
        let root = path.ancestors().skip(1).take(3).find_map(crate::source::backlog_md::root_at)?;
        return Some(Target::Backlog(root));
    }
    None
}

struct Doc {
    uri: Uri,
    text: String,
    version: i32,
    target: Option<Target>,
}

/// What the last check of a target found.
#[derive(Default)]
struct Checked {
    analysis: Option<Analysis>,
    /// Diagnostics by file.
    diagnostics: BTreeMap<PathBuf, Vec<Diagnostic>>,
}

struct Server {
    sender: crossbeam_channel::Sender<Message>,
    encoding: Encoding,
    /// Open documents by absolute path.
    docs: HashMap<PathBuf, Doc>,
    checked: BTreeMap<Target, Checked>,
    /// Targets changed since their last check, and when to check them.
    pending: BTreeSet<Target>,
    deadline: Option<Instant>,
    /// Diagnostics published last, by file, so that a file whose findings are gone is cleared.
    published: BTreeMap<PathBuf, Vec<Diagnostic>>,
    history: HistoryCache,
    /// Compiled policies, cleared when a policy document changes or any file is saved.
    policies: PolicyCache,
    /// Notes already logged (the same note arrives with every check).
    logged: BTreeSet<String>,
    /// Each rule's explanation as a `data:` URI, made once.
    descriptions: HashMap<String, Option<Uri>>,
}

impl Server {
    fn new(sender: crossbeam_channel::Sender<Message>, encoding: Encoding) -> Self {
        Server {
            sender,
            encoding,
            docs: HashMap::new(),
            checked: BTreeMap::new(),
            pending: BTreeSet::new(),
            deadline: None,
            published: BTreeMap::new(),
            history: HistoryCache::default(),
            policies: PolicyCache::default(),
            logged: BTreeSet::new(),
            descriptions: HashMap::new(),
        }
    }

    fn send(&self, message: Message) {
        // The reader has gone: the loop ends when the receiver disconnects.
        let _ = self.sender.send(message);
    }

    fn respond(&self, response: Response) {
        self.send(response.into());
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.send(Notification::new(method.into(), params).into());
    }

    /// `window/showMessage` (1 error, 2 warning, 3 info, 4 log) and the same in the log.
    fn show(&self, kind: u8, text: &str) {
        self.notify("window/showMessage", json!({ "type": kind, "message": text }));
        self.notify("window/logMessage", json!({ "type": kind, "message": text }));
    }

    fn request(&mut self, req: RpcRequest) {
        let (id, method) = (req.id.clone(), req.method.clone());
        match catch_unwind(AssertUnwindSafe(|| self.answer(req))) {
            Ok(Ok(result)) => self.respond(Response::new_ok(id, result)),
            Ok(Err((code, message))) => self.respond(Response::new_err(id, code as i32, message)),
            Err(panic) => self.recover(id, &method, &panic_text(&*panic)),
        }
    }

    fn recover(&mut self, id: RequestId, method: &str, why: &str) {
        let text = format!("backlint: an internal error while answering `{method}`: {why}; the server keeps running");
        self.respond(Response::new_err(id, ErrorCode::InternalError as i32, text.clone()));
        self.show(1, &text);
    }

    fn answer(&mut self, req: RpcRequest) -> Result<Value, (ErrorCode, String)> {
        let invalid = |e: serde_json::Error| (ErrorCode::InvalidParams, e.to_string());
        match req.method.as_str() {
            "textDocument/hover" => {
                let params: lsp_types::HoverParams = serde_json::from_value(req.params).map_err(invalid)?;
                self.check_pending();
                let at = params.text_document_position_params;
                Ok(serde_json::to_value(self.hover(&at.text_document.uri, at.position)).unwrap_or_default())
            }
            "textDocument/codeAction" => {
                let params: lsp_types::CodeActionParams = serde_json::from_value(req.params).map_err(invalid)?;
                self.check_pending();
                Ok(serde_json::to_value(self.code_actions(&params.text_document.uri, params.range)).unwrap_or_default())
            }
            // Only in debug builds: lets the tests check that a panicking request is survived.
            #[cfg(debug_assertions)]
            "backlint/panic" => panic!("panic requested by the client"),
            _ => Err((ErrorCode::MethodNotFound, format!("backlint does not handle `{}`", req.method))),
        }
    }

    fn notification(&mut self, n: Notification) {
        let method = n.method.clone();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.notified(n))) {
            self.show(
                1,
                &format!(
                    "backlint: an internal error on `{method}`: {}; the server keeps running",
                    panic_text(&*panic)
                ),
            );
        }
    }

    fn notified(&mut self, n: Notification) {
        let uri_of = |params: &Value| -> Option<Uri> {
            serde_json::from_value(params.pointer("/textDocument/uri")?.clone()).ok()
        };
        let Some(uri) = uri_of(&n.params) else { return };
        let Some(path) = convert::path_of(&uri) else { return };
        match n.method.as_str() {
            "textDocument/didOpen" => {
                let text =
                    n.params.pointer("/textDocument/text").and_then(Value::as_str).unwrap_or_default().to_string();
                let version = n.params.pointer("/textDocument/version").and_then(Value::as_i64).unwrap_or(0) as i32;
                let target = target_of(&path, &text);
                self.docs.insert(path, Doc { uri, text, version, target: target.clone() });
                if let Some(target) = target {
                    // The first check of a file is not delayed: the editor has just shown it.
                    self.changed(target);
                    self.check_pending();
                }
            }
            "textDocument/didChange" => {
                let Some(doc) = self.docs.get_mut(&path) else { return };
                // Full synchronisation: the last change holds the whole text.
                if let Some(text) = n
                    .params
                    .pointer("/contentChanges")
                    .and_then(Value::as_array)
                    .and_then(|c| c.last())
                    .and_then(|c| c.get("text"))
                    .and_then(Value::as_str)
                {
                    doc.text = text.to_string();
                }
                doc.version = n.params.pointer("/textDocument/version").and_then(Value::as_i64).unwrap_or(0) as i32;
                if let Some(target) = doc.target.clone() {
                    self.changed(target);
                }
            }
            "textDocument/didSave" => {
                // A save (or the commit that often follows) can change what git says: read it again.
                self.history.clear();
                self.policies.clear();
                let targets: Vec<Target> = self.docs.values().filter_map(|d| d.target.clone()).collect();
                for target in targets {
                    self.changed(target);
                }
            }
            "textDocument/didClose" => {
                let Some(doc) = self.docs.remove(&path) else { return };
                let Some(target) = doc.target else { return };
                if matches!(target, Target::Policy(_)) {
                    // The file on disk applies again.
                    self.changed(target.clone());
                }
                if self.docs.values().any(|d| d.target.as_ref() == Some(&target)) {
                    self.changed(target);
                } else {
                    self.checked.remove(&target);
                    self.pending.remove(&target);
                    self.publish();
                }
            }
            _ => {}
        }
    }

    /// A change to a target: it is checked once the changes pause; a policy change can change the
    /// findings of every open backlog.
    fn changed(&mut self, target: Target) {
        if matches!(target, Target::Policy(_)) {
            // Its rules and their explanations may have changed.
            self.policies.clear();
            self.descriptions.clear();
            self.pending.extend(self.docs.values().filter_map(|d| d.target.clone()));
        }
        self.pending.insert(target);
        self.deadline = Some(Instant::now() + DEBOUNCE);
    }

    fn documents(&self) -> Documents {
        let mut documents = Documents::new();
        for (path, doc) in &self.docs {
            documents.insert(path, doc.text.as_str());
        }
        documents
    }

    /// Checks every target changed since its last check, and publishes.
    fn check_pending(&mut self) {
        self.deadline = None;
        if self.pending.is_empty() {
            return;
        }
        let documents = self.documents();
        for target in std::mem::take(&mut self.pending) {
            let checked = match catch_unwind(AssertUnwindSafe(|| self.check(&target, &documents))) {
                Ok(checked) => checked,
                Err(panic) => {
                    let (Target::Backlog(path) | Target::Policy(path)) = &target;
                    self.show(
                        1,
                        &format!(
                            "backlint: an internal error while checking `{}`: {}; the server keeps running",
                            path.display(),
                            panic_text(&*panic)
                        ),
                    );
                    Checked::default()
                }
            };
            self.checked.insert(target, checked);
        }
        self.publish();
    }

    fn check(&mut self, target: &Target, documents: &Documents) -> Checked {
        let mut diagnostics: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
        match target {
            Target::Policy(path) => {
                if let Err(problems) = analysis::load_policy(Some(path), documents) {
                    for p in problems {
                        self.add_problem(&mut diagnostics, path, &p);
                    }
                }
                Checked { analysis: None, diagnostics }
            }
            Target::Backlog(path) => {
                let request = Request {
                    paths: vec![path.clone()],
                    policy: None,
                    history: HistoryOptions { cache: Some(self.history.clone()), ..Default::default() },
                    documents: documents.clone(),
                    policy_cache: Some(self.policies.clone()),
                    ..Default::default()
                };
                let analysis = analysis::analyse(&request);
                // Problems without a file of their own go to the backlog's file (a folder's config.yml).
                let fallback = if path.is_dir() { path.join("config.yml") } else { path.clone() };
                for said in &analysis.messages {
                    match said {
                        Said::Problems(problems) => {
                            for p in problems {
                                self.add_problem(&mut diagnostics, &fallback, p);
                            }
                        }
                        Said::Note(note) => {
                            if self.logged.insert(note.clone()) {
                                self.notify("window/logMessage", json!({ "type": 4, "message": note }));
                            }
                        }
                    }
                }
                for a in &analysis.backlogs {
                    let Some(policy) = analysis.policy_of(a) else { continue };
                    let lines: Vec<Lines> = a.backlog.files.iter().map(|f| Lines::new(&f.text)).collect();
                    for f in a.notices.iter().chain(&a.findings) {
                        let rule = policy.rule(&f.rule);
                        let d = self.finding_diagnostic(f, &lines[f.file], rule);
                        diagnostics.entry(a.backlog.files[f.file].path.clone()).or_default().push(d);
                    }
                }
                Checked { analysis: Some(analysis), diagnostics }
            }
        }
    }

    fn finding_diagnostic(&mut self, f: &Finding, lines: &Lines, rule: Option<&CompiledRule>) -> Diagnostic {
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message += &format!("\nhelp: {help}");
        }
        let href = rule.and_then(|rule| {
            self.descriptions
                .entry(rule.name.clone())
                .or_insert_with(|| convert::data_uri("text/plain", &crate::report::explanation_text(rule, 100)))
                .clone()
        });
        Diagnostic {
            range: lines.range(f.span.start, f.span.end, self.encoding),
            severity: Some(severity(f.level)),
            code: Some(NumberOrString::String(f.rule.clone())),
            code_description: href.map(|href| CodeDescription { href }),
            source: Some("backlint".into()),
            message,
            ..Default::default()
        }
    }

    /// An input or policy problem, in its file (else `fallback`), its other labels as related
    /// information.
    fn add_problem(&self, diagnostics: &mut BTreeMap<PathBuf, Vec<Diagnostic>>, fallback: &Path, p: &Problem) {
        let p = crate::diag::merge_conflict(p).unwrap_or_else(|| p.clone());
        let mut message = p.message.clone();
        if let Some(help) = &p.help {
            message += &format!("\nhelp: {help}");
        }
        let (path, range, related) = match p.file.as_deref() {
            Some(file) => {
                let lines = Lines::new(&file.text);
                let span = p.primary_span().unwrap_or_default();
                let uri = convert::uri_of(&file.path);
                let related: Vec<DiagnosticRelatedInformation> = p
                    .labels
                    .iter()
                    .skip(1)
                    .map(|(span, label)| DiagnosticRelatedInformation {
                        location: Location {
                            uri: uri.clone(),
                            range: lines.range(span.start, span.end, self.encoding),
                        },
                        message: label.clone().unwrap_or_else(|| "here".into()),
                    })
                    .collect();
                (file.path.clone(), lines.range(span.start, span.end, self.encoding), related)
            }
            None => (fallback.to_path_buf(), Default::default(), Vec::new()),
        };
        let path = std::path::absolute(&path).unwrap_or(path);
        diagnostics.entry(path).or_default().push(Diagnostic {
            range,
            severity: Some(severity(p.level)),
            code: Some(NumberOrString::String(p.code.clone())),
            source: Some("backlint".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        });
    }

    /// Publishes every file whose diagnostics changed, and clears those that have none left. A
    /// file two targets speak of (a policy, open itself and read by a backlog) gets both, once.
    fn publish(&mut self) {
        let mut now: BTreeMap<PathBuf, Vec<Diagnostic>> = BTreeMap::new();
        for checked in self.checked.values() {
            for (path, list) in &checked.diagnostics {
                let all = now.entry(path.clone()).or_default();
                if all.is_empty() {
                    all.extend(list.iter().cloned());
                } else {
                    // Only files several targets speak of (policies) get here, with few diagnostics.
                    for d in list {
                        if !all.contains(d) {
                            all.push(d.clone());
                        }
                    }
                }
            }
        }
        let before = std::mem::take(&mut self.published);
        for (path, old) in &before {
            if !now.contains_key(path) && !old.is_empty() {
                self.send_diagnostics(path, Vec::new());
            }
        }
        for (path, list) in &now {
            if before.get(path) != Some(list) {
                self.send_diagnostics(path, list.clone());
            }
        }
        self.published = now;
    }

    fn send_diagnostics(&self, path: &Path, diagnostics: Vec<Diagnostic>) {
        let (uri, version) = match self.docs.get(path) {
            Some(doc) => (doc.uri.clone(), Some(doc.version)),
            None => (convert::uri_of(path), None),
        };
        self.notify("textDocument/publishDiagnostics", PublishDiagnosticsParams { uri, diagnostics, version });
    }

    /// The findings of the last check that point into `path`, with their backlog and rules.
    fn findings_in(&self, path: &Path) -> Vec<(&Backlog, usize, &Finding, Option<&CompiledRule>)> {
        let mut out = Vec::new();
        for checked in self.checked.values() {
            let Some(analysis) = &checked.analysis else { continue };
            for a in &analysis.backlogs {
                let Some(file) = a.backlog.files.iter().position(|f| f.path == path) else { continue };
                let policy = analysis.policy_of(a);
                for f in a.findings.iter().chain(&a.notices).filter(|f| f.file == file) {
                    out.push((&a.backlog, file, f, policy.and_then(|p| p.rule(&f.rule))));
                }
            }
        }
        out
    }

    fn hover(&self, uri: &Uri, position: lsp_types::Position) -> Option<Hover> {
        let path = convert::path_of(uri)?;
        let findings = self.findings_in(&path);
        let (backlog, file, ..) = findings.first()?;
        let lines = Lines::new(&backlog.files[*file].text);
        let at = lines.offset(position, self.encoding);
        let here: Vec<_> = findings.iter().filter(|(_, _, f, _)| f.span.start <= at && at <= f.span.end).collect();
        let first = here.first()?;
        let mut text = String::new();
        let mut explained = BTreeSet::new();
        for &&(_, _, f, rule) in &here {
            text += &format!("**{}** ({}): {}\n\n", f.rule, f.level, f.message);
            if let Some(rule) = rule
                && explained.insert(rule.name.clone())
            {
                text += &format!("```text\n{}\n```\n\n", crate::report::explanation_text(rule, 100));
            }
        }
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: text.trim_end().into(),
            }),
            range: Some(lines.range(first.2.span.start, first.2.span.end, self.encoding)),
        })
    }

    fn code_actions(&self, uri: &Uri, range: lsp_types::Range) -> Vec<CodeActionOrCommand> {
        let Some(path) = convert::path_of(uri) else { return Vec::new() };
        let findings = self.findings_in(&path);
        let Some((backlog, file, ..)) = findings.first() else { return Vec::new() };
        let lines = Lines::new(&backlog.files[*file].text);
        let (start, end) = (lines.offset(range.start, self.encoding), lines.offset(range.end, self.encoding));
        let mut actions: Vec<CodeAction> = Vec::new();
        for (backlog, _, f, _) in &findings {
            if f.notice || f.span.start > end || f.span.end < start {
                continue;
            }
            let diagnostic = self.finding_diagnostic_plain(f, &lines);
            for (fix, preferred) in
                [(crate::fix::fix_for(backlog, f), true), (crate::fix::suppress(backlog, f), false)].into_iter()
            {
                let Some(fix) = fix else { continue };
                if let Some(known) = actions.iter_mut().find(|a| a.title == fix.title) {
                    known.diagnostics.get_or_insert_default().push(diagnostic.clone());
                    continue;
                }
                actions.push(CodeAction {
                    title: fix.title.clone(),
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(self.workspace_edit(backlog, &fix)),
                    is_preferred: Some(preferred),
                    ..Default::default()
                });
            }
        }
        actions.into_iter().map(CodeActionOrCommand::CodeAction).collect()
    }

    /// A finding's diagnostic without its code description, to name in a code action.
    fn finding_diagnostic_plain(&self, f: &Finding, lines: &Lines) -> Diagnostic {
        Diagnostic {
            range: lines.range(f.span.start, f.span.end, self.encoding),
            severity: Some(severity(f.level)),
            code: Some(NumberOrString::String(f.rule.clone())),
            source: Some("backlint".into()),
            message: f.message.clone(),
            ..Default::default()
        }
    }

    // lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose only interior mutability is a parse
    // cache that hashing and comparing never read.
    #[allow(clippy::mutable_key_type)]
    fn workspace_edit(&self, backlog: &Backlog, fix: &crate::fix::Fix) -> WorkspaceEdit {
        let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
        for e in &fix.edits {
            let source = &backlog.files[e.file];
            let lines = Lines::new(&source.text);
            let uri = self.docs.get(&source.path).map_or_else(|| convert::uri_of(&source.path), |d| d.uri.clone());
            changes.entry(uri).or_default().push(TextEdit {
                range: lines.range(e.span.start, e.span.end, self.encoding),
                new_text: e.text.clone(),
            });
        }
        WorkspaceEdit { changes: Some(changes), ..Default::default() }
    }
}

fn severity(level: Level) -> DiagnosticSeverity {
    match level {
        Level::Error => DiagnosticSeverity::ERROR,
        Level::Warning => DiagnosticSeverity::WARNING,
        Level::Info => DiagnosticSeverity::INFORMATION,
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}
