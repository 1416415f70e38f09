#!/usr/bin/env python3
"""Writes picolayer's man pages from its own description of its commands (`picolayer --experimental-dump-help`,
swift-argument-parser's ToolInfo JSON): picolayer.1 with every subcommand, and picolayer-COMMAND.1 for each.

Usage: make-man.py PICOLAYER_BINARY OUTPUT_FOLDER
"""
import json
import os
import subprocess
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote."""
    text = (text or "").replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flag_names(argument):
    names = []
    for name in argument.get("names", []):
        names.append(("-" if name["kind"] == "short" else "--") + name["name"])
    return ", ".join(names)


def synopsis(command, path):
    parts = []
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        if argument["kind"] == "positional":
            item = "<%s>" % argument.get("valueName", "value")
        else:
            item = "--" + argument["preferredName"]["name"] if argument.get("preferredName") else flag_names(argument)
            if argument["kind"] == "option":
                item += " <%s>" % argument.get("valueName", "value")
        if argument.get("isRepeating"):
            item += " ..."
        parts.append("[%s]" % item if argument.get("isOptional") else item)
    return "\\fB%s\\fR %s" % (" ".join(path), roff(" ".join(parts)))


def options(command):
    out = []
    for argument in command.get("arguments", []):
        if not argument.get("shouldDisplay", True):
            continue
        if argument["kind"] == "positional":
            head = "<%s>" % argument.get("valueName", "value")
        else:
            head = flag_names(argument)
            if argument["kind"] == "option":
                head += " <%s>" % argument.get("valueName", "value")
        text = argument.get("abstract", "")
        if argument.get("defaultValue"):
            text += " (default: %s)" % argument["defaultValue"]
        if argument.get("allValues"):
            text += " (values: %s)" % ", ".join(argument["allValues"])
        out.append(".TP\n\\fB%s\\fR\n%s" % (roff(head), roff(text)))
    return "\n".join(out)


def page(command, path, version, subcommands):
    name = "-".join(path)
    lines = [
        '.TH "%s" 1 "" "picolayer %s" "User Commands"' % (name.upper(), version),
        ".SH NAME",
        "%s \\- %s" % (name, roff(command.get("abstract", ""))),
        ".SH SYNOPSIS",
        synopsis(command, path),
    ]
    if command.get("discussion"):
        lines += [".SH DESCRIPTION", roff(command["discussion"])]
    if any(a.get("shouldDisplay", True) for a in command.get("arguments", [])):
        lines += [".SH OPTIONS", options(command)]
    if subcommands:
        lines.append(".SH COMMANDS")
        for sub in subcommands:
            lines.append(".TP\n\\fB%s\\fR\n%s (see \\fB%s-%s\\fR(1))" % (
                sub["commandName"], roff(sub.get("abstract", "")), name, sub["commandName"]))
    if len(path) > 1:
        lines += [".SH SEE ALSO", "\\fB%s\\fR(1)" % path[0]]
    return "\n".join(lines) + "\n"


def main():
    binary, folder = sys.argv[1], sys.argv[2]
    tool = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True, capture_output=True).stdout)
    version = subprocess.run([binary, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    root = tool["command"]
    subcommands = [s for s in root.get("subcommands", []) if s.get("shouldDisplay", True) and s["commandName"] != "help"]
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "picolayer.1"), "w") as f:
        f.write(page(root, ["picolayer"], version, subcommands))
    for sub in subcommands:
        with open(os.path.join(folder, "picolayer-%s.1" % sub["commandName"]), "w") as f:
            f.write(page(sub, ["picolayer", sub["commandName"]], version, []))


if __name__ == "__main__":
    main()
