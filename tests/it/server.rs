//! `backlint server`: the real binary driven over JSON-RPC, and from a real editor (headless Neovim).

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A client speaking to `backlint server` through its standard input and output.
struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for another, in order.
    seen: Vec<Value>,
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backlint"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    if stdout.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                stdout.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client { child, stdin, incoming, next_id: 1, seen: Vec::new() }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (result or error), keeping what came before it.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("the response to {method}"), |m| m["id"] == id && m.get("method").is_none())
    }

    /// The next message that satisfies `pred`, within 60 seconds.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self.incoming.recv_timeout(left).unwrap_or_else(|_| panic!("no {what}; seen: {:#?}", self.seen));
            if pred(&m) {
                return m;
            }
            self.seen.push(m);
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(&format!("diagnostics for {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }

    fn initialize(&mut self, dir: &Path) -> Value {
        let response =
            self.request("initialize", json!({ "processId": null, "rootUri": uri(dir), "capabilities": {} }));
        self.notify("initialized", json!({}));
        response
    }

    /// shutdown, exit, and the server's exit code.
    fn shut_down(mut self) -> i32 {
        let response = self.request("shutdown", Value::Null);
        assert!(response.get("error").is_none(), "{response}");
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A `file:` URI as editors write them (percent-encoded).
fn uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri
}

/// A folder holding the healthy example backlog (no findings with the example policy, found beside
/// it) and that backlog with two `rank`s that disagree with the list order.
fn healthy_folder() -> (tempfile::TempDir, PathBuf, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(super::root().join("examples/backlint.policy"), dir.path().join("backlint.policy")).unwrap();
    let healthy = std::fs::read_to_string(super::root().join("examples/healthy/backlog.yaml")).unwrap();
    let broken = healthy.replacen("  - id: LUM-41\n", "  - id: LUM-41\n    rank: 2\n", 1).replacen(
        "  - id: LUM-42\n",
        "  - id: LUM-42\n    rank: 1\n",
        1,
    );
    assert_ne!(healthy, broken);
    let path = dir.path().join("backlog.yaml");
    std::fs::write(&path, &healthy).unwrap();
    (dir, path, healthy, broken)
}

/// Applies a code action's edits (one file) to `text`, the way an editor does.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let (line, character) = (p["line"].as_u64().unwrap() as usize, p["character"].as_u64().unwrap() as usize);
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let units: usize = text[start..]
            .chars()
            .scan(0, |n, c| {
                let at = *n;
                *n += c.len_utf16();
                Some((at, c.len_utf8()))
            })
            .take_while(|(at, _)| *at < character)
            .map(|(_, bytes)| bytes)
            .sum();
        start + units
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset(&e["range"]["start"]), offset(&e["range"]["end"]), e["newText"].as_str().unwrap()))
        .collect();
    spans.sort();
    let mut out = text.to_string();
    for (start, end, new) in spans.into_iter().rev() {
        out.replace_range(start..end, new);
    }
    out
}

/// initialize → didOpen (findings) → hover → code action → didChange (the fix) → diagnostics cleared
/// → a panicking request survived → shutdown → exit.
#[test]
fn the_server_checks_explains_and_fixes_an_open_backlog() {
    let (dir, path, _healthy, broken) = healthy_folder();
    let mut client = Client::start(dir.path());
    let init = client.initialize(dir.path());
    let capabilities = &init["result"]["capabilities"];
    assert_eq!(capabilities["hoverProvider"], true, "{init}");
    assert_eq!(capabilities["positionEncoding"], "utf-16", "{init}");
    let uri = uri(&path);

    // The unsaved buffer is checked, not the (healthy) file on disk.
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 1, "text": broken } }),
    );
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "ordering-ambiguous");
    assert_eq!(d["severity"], 1, "an error, as the CLI says");
    assert_eq!(d["source"], "backlint");
    assert!(d["message"].as_str().unwrap().contains("item `LUM-42` has rank 1 but sits below `LUM-41`"), "{d}");
    let line = broken.lines().position(|l| l == "    rank: 1").unwrap();
    assert_eq!(d["range"]["start"], json!({ "line": line, "character": 10 }), "{d}");
    let description = d["codeDescription"]["href"].as_str().unwrap();
    assert!(description.starts_with("data:text/plain") && description.contains("Why%20it%20matters"), "{description}");

    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 10 } }),
    );
    let text = hover["result"]["contents"]["value"].as_str().unwrap_or_else(|| panic!("{hover}"));
    for part in ["ordering-ambiguous", "What it checks", "Why it matters", "How to fix it", "Example"] {
        assert!(text.contains(part), "hover lacks {part:?}: {text}");
    }

    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [d] } }),
    );
    let actions = actions["result"].as_array().unwrap_or_else(|| panic!("{actions}")).clone();
    let titles: Vec<&str> = actions.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        ["Renumber `rank` to agree with the list order", "Allow `ordering-ambiguous` for `LUM-42` (write the reason)"]
    );
    assert_eq!(actions[0]["kind"], "quickfix");
    let edits = actions[0]["edit"]["changes"][&uri].as_array().unwrap();
    let fixed = apply(&broken, edits);
    assert!(
        fixed.contains("  - id: LUM-41\n    rank: 1\n") && fixed.contains("  - id: LUM-42\n    rank: 2\n"),
        "{fixed}"
    );
    let allow = apply(&broken, actions[1]["edit"]["changes"][&uri].as_array().unwrap());
    assert!(allow.contains("    allow:\n      ordering-ambiguous: say why this rule does not apply here\n"), "{allow}");

    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let cleared = client.diagnostics(&uri);
    assert_eq!(cleared, Vec::<Value>::new());
    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": 10 } }),
    );
    assert_eq!(hover["result"], Value::Null, "no finding, nothing to explain: {hover}");

    // A request that panics is answered with an error, and the server keeps serving.
    let panicked = client.request("backlint/panic", Value::Null);
    assert_eq!(panicked["error"]["code"], -32603, "{panicked}");
    let actions = client.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": d["range"], "context": { "diagnostics": [] } }),
    );
    assert_eq!(actions["result"], json!([]), "{actions}");
    assert_eq!(client.shut_down(), 0);
}

/// Policy errors as you type, a broken backlog gives diagnostics (not a dead server), and a
/// Backlog.md task gets the findings of its backlog that point into it.
#[test]
fn the_server_checks_policies_broken_files_and_backlog_md_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start(dir.path());
    client.initialize(dir.path());

    let policy = dir.path().join("backlint.policy");
    std::fs::write(&policy, "").unwrap();
    let policy_uri = uri(&policy);
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": policy_uri, "languageId": "backlint", "version": 1, "text": "settings {\n  near = \n}\n" } }),
    );
    let diagnostics = client.diagnostics(&policy_uri);
    assert!(!diagnostics.is_empty() && diagnostics[0]["code"].as_str().unwrap().starts_with('P'), "{diagnostics:#?}");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": policy_uri, "version": 2 }, "contentChanges": [{ "text": "" }] }),
    );
    assert_eq!(client.diagnostics(&policy_uri), Vec::<Value>::new());

    let backlog = dir.path().join("backlog.yaml");
    std::fs::write(&backlog, "items: []\n").unwrap();
    let backlog_uri = uri(&backlog);
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": backlog_uri, "languageId": "yaml", "version": 1, "text": "items:\n  - {id: A, title: [unclosed\n" } }),
    );
    let diagnostics = client.diagnostics(&backlog_uri);
    assert!(diagnostics.iter().any(|d| d["code"].as_str().unwrap().starts_with('I')), "{diagnostics:#?}");

    // The repaired buffer has a vague title; the unsaved policy that turns the rule off applies at once.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": backlog_uri, "version": 2 }, "contentChanges": [{ "text": "items:\n  - {id: A, title: Misc}\n" }] }),
    );
    let diagnostics = client.diagnostics(&backlog_uri);
    assert!(diagnostics.iter().any(|d| d["code"] == "vague-title"), "{diagnostics:#?}");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": policy_uri, "version": 3 }, "contentChanges": [{ "text": "disable vague-title\n" }] }),
    );
    let diagnostics = client.diagnostics(&backlog_uri);
    assert!(!diagnostics.is_empty() && !diagnostics.iter().any(|d| d["code"] == "vague-title"), "{diagnostics:#?}");

    let project = dir.path().join("md");
    copy_dir(&super::fixture("backlog_md/basic"), &project);
    let root = project.join("backlog");
    let task = std::fs::read_dir(root.join("tasks")).unwrap().map(|e| e.unwrap().path()).min().unwrap();
    let task_uri = uri(&task);
    let text = std::fs::read_to_string(&task).unwrap();
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": task_uri, "languageId": "markdown", "version": 1, "text": text } }),
    );
    // Every file of the backlog with findings gets them, the open task among them once it has any.
    let first = client.wait_for("diagnostics for a Backlog.md file", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"].as_str().unwrap().starts_with(&uri(&root))
    });
    assert!(!first["params"]["diagnostics"].as_array().unwrap().is_empty(), "{first}");
    assert_eq!(client.shut_down(), 0);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The same sequence from Neovim's own LSP client (Debian's `neovim`), headless: diagnostics on
/// open, hover, the renumbering code action applied by the editor, diagnostics cleared, shutdown.
/// Skipped with a note when `nvim` is missing, unless `BACKLINT_EDITOR=require` (as in CI).
#[test]
fn neovim_shows_findings_hovers_and_applies_the_fix() {
    let required = std::env::var("BACKLINT_EDITOR").is_ok_and(|v| v == "require");
    if Command::new("nvim").arg("--version").output().is_err() {
        assert!(!required, "BACKLINT_EDITOR=require but `nvim` is not installed (apt-get install neovim)");
        eprintln!("note: skipped neovim_shows_findings_hovers_and_applies_the_fix: `nvim` is not installed");
        return;
    }
    let (dir, path, _healthy, broken) = healthy_folder();
    std::fs::write(&path, &broken).unwrap();
    let script = dir.path().join("drive.lua");
    std::fs::write(&script, NEOVIM_SCRIPT).unwrap();
    let result = dir.path().join("result.txt");
    let mut child = Command::new("nvim")
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("BACKLINT_BIN", env!("CARGO_BIN_EXE_backlint"))
        .env("BACKLOG", &path)
        .env("RESULT", &result)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish; so far: {}", std::fs::read_to_string(&result).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let said = std::fs::read_to_string(&result).unwrap_or_else(|_| panic!("nvim wrote no result; stderr: {stderr}"));
    assert!(said.ends_with("OK\n"), "{said}\nstderr: {stderr}");
    for line in [
        "diagnostic: ordering-ambiguous",
        "hover: explains ordering-ambiguous",
        "action: Renumber `rank` to agree with the list order",
        "cleared",
        "stopped",
    ] {
        assert!(said.lines().any(|l| l.starts_with(line)), "{line:?} missing from:\n{said}");
    }
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.contains("  - id: LUM-41\n    rank: 1\n") && after.contains("  - id: LUM-42\n    rank: 2\n"),
        "{after}"
    );
}

/// Neovim 0.7's API (Debian bookworm): `vim.lsp.start_client`, `buf_request_sync`,
/// `util.apply_workspace_edit`. Writes what it saw to $RESULT, `OK` last when every step passed.
const NEOVIM_SCRIPT: &str = r#"
local log = {}
local function say(s) table.insert(log, s) end
local function finish(ok)
  local f = io.open(os.getenv('RESULT'), 'w')
  f:write(table.concat(log, '\n') .. '\n' .. (ok and 'OK' or 'FAIL') .. '\n')
  f:close()
  vim.cmd('qall!')
end
local function wait(what, pred)
  if not vim.wait(60000, pred, 20) then
    say('timed out waiting for ' .. what)
    finish(false)
    error('timed out waiting for ' .. what)
  end
end
local ok, err = pcall(function()
  local file = os.getenv('BACKLOG')
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({
    name = 'backlint',
    cmd = { os.getenv('BACKLINT_BIN'), 'server' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
  })
  vim.lsp.buf_attach_client(buf, id)
  local client = vim.lsp.get_client_by_id(id)
  wait('diagnostics', function() return #vim.diagnostic.get(buf) > 0 end)
  local d = vim.diagnostic.get(buf)[1]
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  say('diagnostic: ' .. tostring(code) .. ' line ' .. d.lnum)
  local uri = vim.uri_from_bufnr(buf)
  local at = { line = d.lnum, character = d.col }
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', { textDocument = { uri = uri }, position = at }, 30000)
  local text = hover and hover[id] and hover[id].result and hover[id].result.contents.value or ''
  if text:find('ordering-ambiguous', 1, true) and text:find('Why it matters', 1, true) then
    say('hover: explains ordering-ambiguous')
  end
  local range = { start = at, ['end'] = { line = d.end_lnum, character = d.end_col } }
  local actions = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction',
    { textDocument = { uri = uri }, range = range, context = { diagnostics = {} } }, 30000)
  for _, action in ipairs(actions and actions[id] and actions[id].result or {}) do
    if action.title:find('Renumber', 1, true) then
      say('action: ' .. action.title)
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
    end
  end
  wait('diagnostics cleared', function() return #vim.diagnostic.get(buf) == 0 end)
  say('cleared')
  vim.cmd('write')
  client.stop()
  wait('the server to stop', function() return client.is_stopped() end)
  say('stopped')
end)
if not ok then say('error: ' .. tostring(err)) end
finish(ok)
"#;
