"""End-to-end client for `lasso mcp`, written with the official Python MCP SDK (`mcp` on PyPI).

Driven by tests/mcp_e2e.rs, which prepares the workspace (hello.txt, a symlink pointing out of
it, a project profile hiding /workspace/.env) and afterwards checks the audit log and that the
session's sandboxes were stopped when this client exited.

usage: e2e_client.py LASSO_BINARY WORKSPACE OUTSIDE_FILE REPORT_JSON

Every check raises AssertionError with what was expected and what came back; the exit code is
non-zero on any failure. The report lists the sandboxes the session created.
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import Implementation

CLIENT_NAME = "lasso-e2e"
TOOLS = {
    "sandbox_create", "sandbox_exec", "sandbox_stop", "sandbox_status",
    "sandbox_list", "file_read", "file_write", "health",
}
FORWARD = ("LASSO_HOME", "LASSO_RUNTIME", "DOCKER_HOST", "CONTAINER_HOST", "LASSO_BASE_IMAGE")


def text_of(result):
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def check(cond, what, result=None):
    if not cond:
        extra = ""
        if result is not None:
            extra = f"\n  is_error={result.is_error}\n  structured={json.dumps(result.structured_content)}\n  text={text_of(result)!r}"
        raise AssertionError(f"{what}{extra}")


async def call(session, tool, args):
    return await session.call_tool(tool, args)


async def expect_ok(session, tool, args):
    r = await call(session, tool, args)
    check(not r.is_error, f"{tool} {args} failed", r)
    return r.structured_content


async def expect_refused(session, tool, args, needle):
    r = await call(session, tool, args)
    check(r.is_error, f"{tool} {args} was not refused", r)
    error = (r.structured_content or {}).get("error", "")
    check(needle in error and needle in text_of(r), f"{tool} {args}: expected {needle!r} in the error", r)
    return r


async def run(binary, workspace, outside_file, report_path):
    env = {k: os.environ[k] for k in FORWARD if k in os.environ}
    params = StdioServerParameters(
        command=binary, args=["mcp", "--profile", "minimal", "--dir", workspace], env=env
    )
    report = {"client": CLIENT_NAME, "sandboxes": []}
    async with stdio_client(params) as (read, write):
        async with ClientSession(
            read, write, client_info=Implementation(name=CLIENT_NAME, version="1.0")
        ) as session:
            init = await session.initialize()
            check(init.server_info.name == "lasso", f"server name: {init.server_info}")

            listed = await session.list_tools()
            names = {t.name for t in listed.tools}
            check(names == TOOLS, f"tools: {sorted(names)}")
            for t in listed.tools:
                check(t.input_schema.get("type") == "object", f"{t.name} input schema")
                check(t.output_schema is not None, f"{t.name} has no output schema")

            health = await expect_ok(session, "health", {})
            check(health["ok"] is True, f"health: {health}")
            check(health["actor"] == f"mcp:{CLIENT_NAME}", f"actor: {health}")

            # An allowed command (creates the default sandbox lazily).
            out = await expect_ok(session, "sandbox_exec", {"command": "cat hello.txt"})
            check(out["stdout"] == "hello from the host\n" and out["exit_code"] == 0, f"cat: {out}")
            default_id = out["sandbox"]
            report["sandboxes"].append(default_id)

            # Blocked commands: normal tool results with isError and what to do instead.
            r = await call(session, "sandbox_exec", {"command": "rm -rf /workspace"})
            check(r.is_error, "rm was not blocked", r)
            s = r.structured_content
            check(s["allowed"] is False and s["rule"] == "not-whitelisted" and s["program"] == "rm", "rm block", r)
            check("cat" in s["allowed_programs"] and s["hint"], "rm block lacks a hint", r)
            check(text_of(r).startswith("BLOCKED by lasso's command gate"), "rm block text", r)
            r = await call(session, "sandbox_exec", {"command": "cat /etc/shadow"})
            check(r.is_error and r.structured_content["rule"] == "hidden-path", "cat /etc/shadow", r)

            # Files: a round trip through the file tools and the sandbox.
            w = await expect_ok(session, "file_write", {"path": "notes/a.txt", "content": "written by python\n"})
            check(w["created"] is True and w["path"] == "/workspace/notes/a.txt", f"write: {w}")
            rd = await expect_ok(session, "file_read", {"path": "/workspace/notes/a.txt"})
            check(rd["content"] == "written by python\n" and rd["encoding"] == "text", f"read: {rd}")
            out = await expect_ok(session, "sandbox_exec", {"command": "cat notes/a.txt"})
            check(out["stdout"] == "written by python\n", f"cat notes/a.txt: {out}")
            b = await expect_ok(session, "file_write", {"path": "bin.dat", "content": "AAEC/w==", "encoding": "base64"})
            rd = await expect_ok(session, "file_read", {"path": "bin.dat"})
            check(rd["encoding"] == "base64" and rd["content"] == "AAEC/w==" and b["bytes_written"] == 4, f"binary: {rd}")

            # Confinement: traversal, absolute paths outside, symlinks pointing out.
            await expect_refused(session, "file_read", {"path": "../outside.txt"}, "`..`")
            await expect_refused(session, "file_read", {"path": "notes/../../etc/passwd"}, "`..`")
            await expect_refused(session, "file_write", {"path": "../escape.txt", "content": "x"}, "`..`")
            await expect_refused(session, "file_read", {"path": outside_file}, "outside the workspace")
            await expect_refused(session, "file_read", {"path": "/etc/passwd"}, "outside the workspace")
            await expect_refused(session, "file_write", {"path": "/tmp/escape.txt", "content": "x"}, "outside the workspace")
            await expect_refused(session, "file_read", {"path": "link-out"}, "symbolic link")
            await expect_refused(session, "file_write", {"path": "link-out", "content": "overwritten"}, "symbolic link")
            await expect_refused(session, "file_read", {"path": "dir-out/secret.txt"}, "symbolic link")
            await expect_refused(session, "file_write", {"path": "dir-out/new.txt", "content": "x"}, "symbolic link")

            # A hidden path: a second sandbox whose profile hides /workspace/.env.
            created = await expect_ok(
                session, "sandbox_create",
                {"profile": "mcp-hidden", "working_dir": workspace, "name": "e2e-hidden"},
            )
            hidden_id = created["sandbox"]["id"]
            report["sandboxes"].append(hidden_id)
            await expect_refused(session, "file_read", {"sandbox": "e2e-hidden", "path": ".env"}, "hidden")
            await expect_refused(session, "file_write", {"sandbox": "e2e-hidden", "path": "/workspace/.env", "content": "x"}, "hidden")
            r = await call(session, "sandbox_exec", {"sandbox": "e2e-hidden", "command": "cat .env"})
            check(r.is_error and r.structured_content["rule"] == "hidden-path", "cat .env", r)

            listed = await expect_ok(session, "sandbox_list", {})
            ids = sorted(s["id"] for s in listed["sandboxes"])
            check(ids == sorted(report["sandboxes"]), f"sandbox_list: {listed}")
            check(listed["default_sandbox"] == default_id, f"default: {listed}")
            status = await expect_ok(session, "sandbox_status", {"sandbox": hidden_id[:10]})
            check(status["sandbox"]["name"] == "e2e-hidden", f"status by prefix: {status}")

            # Bad arguments name the field.
            r = await call(session, "sandbox_exec", {"command": "ls", "timeout_seconds": "soon"})
            check(r.is_error and r.structured_content.get("field") == "timeout_seconds", "bad timeout", r)

    with open(report_path, "w", encoding="utf-8") as f:
        json.dump(report, f)


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    asyncio.run(run(*sys.argv[1:]))
    print("e2e_client: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
