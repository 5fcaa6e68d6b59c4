// The VS Code language ids the server has grammars for (grammars/languages.toml), the same list
// as package.json's activation events. No `vscode` import.

/** The languages Infill serves. */
export const LANGUAGES = [
  'python',
  'rust',
  'typescript',
  'typescriptreact',
  'javascript',
  'javascriptreact',
  'go',
  'c',
  'cpp',
  'java',
  'csharp',
  'ruby',
  'shellscript',
  'lua',
];
