const { exec, execSync, execFile, spawn } = require("child_process");

function archive(dir) {
  exec("tar czf backup.tgz " + dir, (err) => console.error(err)); // expect: command-injection
}

function ping(host) {
  return execSync(`ping -c 1 ${host}`).toString(); // expect: command-injection
}

function run(command) {
  const cp = require("child_process");
  cp.exec(command); // expect: command-injection
}

function viaShell(file) {
  spawn(`cat ${file}`, { shell: true }); // expect: command-injection
}

function archiveSafely(dir) {
  execFile("tar", ["czf", "backup.tgz", dir]); // safe: command-injection
}

function pingSafely(host) {
  spawn("ping", ["-c", "1", host]); // safe: command-injection
}

function constant() {
  exec("git rev-parse HEAD"); // safe: command-injection
}

function regexExec(pattern, text) {
  return /a+/.exec(text); // safe: command-injection
}
