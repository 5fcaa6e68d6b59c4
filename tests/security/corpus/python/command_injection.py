import os
import subprocess


def archive(directory):
    os.system("tar czf backup.tgz " + directory)  # expect: command-injection


def ping(host):
    return os.popen(f"ping -c 1 {host}").read()  # expect: command-injection


def convert(src, dst):
    cmd = "convert %s %s" % (src, dst)
    subprocess.call(cmd, shell=True)  # expect: command-injection


def grep(pattern, path):
    out = subprocess.check_output(f"grep {pattern} {path}", shell=True)  # expect: command-injection
    return out


def run_user_command(command):
    subprocess.Popen(command, shell=True)  # expect: command-injection


def status(service):
    return subprocess.getoutput("systemctl status " + service)  # expect: command-injection


def run_system(cmdline):
    os.system(cmdline)  # expect: command-injection


def archive_safely(directory):
    subprocess.run(["tar", "czf", "backup.tgz", directory], check=True)  # safe: command-injection


def ping_safely(host):
    return subprocess.check_output(["ping", "-c", "1", host])  # safe: command-injection


def constant_shell():
    subprocess.run("ls -l /var/log", shell=True)  # safe: command-injection


def constant_system():
    os.system("clear")  # safe: command-injection


def popen_list(path):
    return subprocess.Popen(["wc", "-l", path], stdout=subprocess.PIPE)  # safe: command-injection


def constant_in_variable():
    cmd = "uptime"
    os.system(cmd)  # safe: command-injection
