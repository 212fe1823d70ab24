// A minimal client: VS Code starts `backlint server` and speaks LSP to it over stdio.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

exports.activate = function () {
  const command = vscode.workspace.getConfiguration('backlint').get('path') || 'backlint';
  const server = { command, args: ['server'] };
  client = new LanguageClient('backlint', 'backlint', { run: server, debug: server }, {
    // The files backlint reads: native backlogs, Backlog.md tasks and config, Jira CSV, policies.
    documentSelector: [
      { scheme: 'file', pattern: '**/{backlog.yaml,backlog.yml,*.backlog.yaml,*.backlog.yml}' },
      { scheme: 'file', pattern: '**/backlog/{config.yml,{tasks,drafts,completed,archive}/*.md}' },
      { scheme: 'file', pattern: '**/*.csv' },
      { scheme: 'file', pattern: '**/*.policy' },
    ],
  });
  return client.start();
};

exports.deactivate = function () {
  return client && client.stop();
};
