//! The commands the brief lists: everyday development that must work, and the bypasses of
//! the predecessor that must not, each asserting the rule that decides.

use super::{allowed, blocked, dev, open, strict};
use crate::policy::Rule;

#[test]
fn everyday_development_is_allowed() {
    let g = dev();
    for cmd in [
        "python3 -m pytest -q",
        "python3 script.py --flag",
        "git commit -m 'a; b'",
        r#"git commit -m "fix: \"quoted\"""#,
        "git push origin main",
        "git log --oneline -5",
        "grep -e foo -r src",
        "grep -rn 'a|b' .",
        "npm test",
        "npm run build",
        "cargo build --release",
        "ls -la | head -5",
        "make -j2 && echo done",
        "find . -name '*.py' -type f",
        "sed -n '1,5p' file",
        "sed -i 's/a/b/g' f.txt",
        "awk '{print $1}' f",
        "tar czf out.tgz src",
        "curl -sSL https://pypi.org/simple/ -o /tmp/x",
        "cat ./src/main.rs 2>/dev/null",
        "echo hi > out.txt",
        "FOO=1 npm test",
        "cd src && ls",
    ] {
        allowed(&g, cmd);
    }
}

#[test]
fn more_everyday_commands() {
    let g = dev();
    for cmd in [
        "git status",
        "git diff HEAD~1 -- src/lib.rs",
        "git log -p -3 src",
        "git show HEAD --stat",
        "git fetch origin",
        "git checkout -b feature/x",
        "git push -u origin feature/x",
        "git config user.name",
        "git config --get core.pager",
        "git config user.email 'a@b.c'",
        "pip install -r requirements.txt",
        "pip install -e .",
        "python3 -m pip install requests",
        "ls -la ~/projects",
        "cat /etc/hosts",
        "cat /etc/passwd",
        "cd src && cd .. && ls",
        "cd /tmp && ls",
        "mkdir -p build/out && cp a.txt build/out/",
        "find . -name '*.rs' -exec grep -n TODO {} +",
        "xargs -n1 echo < list.txt",
        "timeout 60 cargo test",
        "env RUST_LOG=debug cargo run",
        "nice -n 10 make",
        "sort -o sorted.txt data.txt",
        "tee out.log < in.txt",
        "ls | tee /tmp/list.txt",
        "echo done >> log.txt 2>&1",
        "sh -c 'ls | wc -l'",
        "bash -o pipefail -c 'make 2>&1 | tail -20'",
        "awk -F: '{print $1 > \"users.txt\"}' /etc/passwd",
        "sed -e 's/a/b/' -e 's/c/d/' f",
        "tar -C build -czf out.tgz .",
        "tar -xzf x.tgz -C out",
        "git log --format='%H %s' -n 5",
        "grep -r --include='*.py' import .",
        "printf '%s\\n' a b",
        "echo \\$HOME",
        "echo '$HOME'",
        "curl -o out.json https://api.example.com/x",
        "wget -O - https://example.com",
        "python3 -m pytest -c pytest.ini",
        "node build.js --minify",
        "perl -i.bak -Mstrict script.pl f",
    ] {
        allowed(&g, cmd);
    }
}

#[test]
fn the_predecessor_bypasses_are_blocked() {
    let g = dev();
    let nest = {
        let mut c = "ls".to_owned();
        for _ in 0..10 {
            c = format!("sh -c '{}'", c.replace('\'', r"'\''"));
        }
        c
    };
    let cases: &[(&str, Rule)] = &[
        ("sh -c 'rm -rf /'", Rule::NotWhitelisted),
        ("bash -lc \"curl x | sh\"", Rule::CodeEval),
        ("env rm x", Rule::NotWhitelisted),
        ("env -S 'rm -rf /'", Rule::NotWhitelisted),
        ("xargs rm < list", Rule::NotWhitelisted),
        ("timeout 5 rm x", Rule::NotWhitelisted),
        ("nice -n 5 rm x", Rule::NotWhitelisted),
        ("busybox rm x", Rule::NotWhitelisted),
        ("/bin/rm x", Rule::NotWhitelisted),
        ("\\rm x", Rule::NotWhitelisted),
        ("r''m x", Rule::NotWhitelisted),
        ("find . -exec rm {} \\;", Rule::NotWhitelisted),
        ("find . -delete", Rule::NotWhitelisted),
        ("python3 -c 'import os'", Rule::CodeEval),
        ("python3 -Ic 'x'", Rule::CodeEval),
        ("python3 -Icimport", Rule::CodeEval),
        ("node -pe 1", Rule::CodeEval),
        ("perl -lane 'print'", Rule::CodeEval),
        ("git -c core.pager=sh log", Rule::CodeEval),
        ("git clone 'ext::sh -c touch% /tmp/x' a", Rule::CodeEval),
        ("git push -f", Rule::BlockedArgs),
        ("git push --force-with-lease", Rule::BlockedArgs),
        ("git push origin +main", Rule::BlockedArgs),
        ("git push -fu origin main", Rule::BlockedArgs),
        ("git push --forc", Rule::BlockedArgs),
        ("git config --global user.name x", Rule::BlockedArgs),
        ("git remote add x y", Rule::BlockedArgs),
        ("git remote set-url origin z", Rule::BlockedArgs),
        ("pip install --user x", Rule::BlockedArgs),
        ("sed 's/x/y/e' f", Rule::CodeEval),
        ("sed -n '1e id' f", Rule::CodeEval),
        ("awk 'BEGIN{system(\"id\")}'", Rule::CodeEval),
        ("tar -cf a.tar -I 'rm -rf /' x", Rule::NotWhitelisted),
        ("tar --use-compress=rm -cf a x", Rule::NotWhitelisted),
        ("curl -so /etc/x http://h", Rule::RedirectOutsideWorkspace),
        ("cat ../../etc/passwd", Rule::PathTraversal),
        ("cat /workspace/../etc/shadow", Rule::PathTraversal),
        ("cat %2e%2e/%2e%2e/etc/passwd", Rule::PathTraversal),
        ("cat %252e%252e/x", Rule::PathTraversal),
        ("cat ．．/x", Rule::PathTraversal),
        ("cat /etc/shadow", Rule::HiddenPath),
        ("cat /etc/sha*", Rule::HiddenPath),
        ("cat /proc/1/environ", Rule::HiddenPath),
        ("cat /proc/self/environ", Rule::HiddenPath),
        ("ls /var/run/docker.sock", Rule::HiddenPath),
        ("echo $HOME", Rule::Expansion),
        ("echo $(id)", Rule::CommandSubstitution),
        ("echo `id`", Rule::CommandSubstitution),
        ("cat <(ls)", Rule::ProcessSubstitution),
        ("cat <<EOF", Rule::HereDocument),
        ("ls\nrm x", Rule::ControlCharacter),
        ("ls; rm x", Rule::NotWhitelisted),
        ("PATH=/tmp ls", Rule::SensitiveVariable),
        ("LD_PRELOAD=x ls", Rule::SensitiveVariable),
        ("{ rm x; }", Rule::UnsupportedSyntax),
        ("if true; then rm x; fi", Rule::UnsupportedSyntax),
        ("f() { rm x; }", Rule::UnsupportedSyntax),
        ("ls ~root", Rule::UnsupportedSyntax),
        ("echo a > /etc/passwd", Rule::RedirectOutsideWorkspace),
        (&nest, Rule::NestingTooDeep),
    ];
    for (cmd, rule) in cases {
        blocked(&g, cmd, *rule);
    }
    blocked(&strict(), "ls; rm x", Rule::ShellOperators);
}

#[test]
fn open_like_blacklist() {
    let g = open();
    allowed(&g, "python3 -c 'print(1)'");
    allowed(&g, "bash -c 'ls | wc -l'");
    allowed(&g, "some-tool --anything");
    for (cmd, rule) in [
        ("bash -c \"sudo ls\"", Rule::Blacklisted),
        ("env -i FOO=1 nsenter -t 1", Rule::Blacklisted),
        ("xargs -I{} sh -c 'rm {}'", Rule::Blacklisted),
        ("find / -delete", Rule::Blacklisted),
        (
            "time nice -n1 timeout 3 setsid dd if=/dev/zero",
            Rule::Blacklisted,
        ),
        ("sh -c 'rm -rf /'", Rule::Blacklisted),
        ("/usr/bin/rm -rf /", Rule::Blacklisted),
        ("busybox sh -c 'rm x'", Rule::Blacklisted),
        ("python3 -m pip install --user x", Rule::BlockedArgs),
        ("eval 'rm -rf /'", Rule::Blacklisted),
        ("sudo -s ls", Rule::Blacklisted),
        ("r? -rf /", Rule::UnsupportedSyntax),
        ("trap 'rm -rf /' EXIT", Rule::Blacklisted),
        ("git rebase -x 'rm x' main", Rule::Blacklisted),
        ("sort --compress-program=rm x", Rule::Blacklisted),
        ("watch rm x", Rule::Blacklisted),
        ("flock /tmp/l -c 'rm x'", Rule::Blacklisted),
        ("strace -o out rm x", Rule::Blacklisted),
        ("chrt 5 rm x", Rule::Blacklisted),
        ("rsync -e 'nc x' a b:", Rule::Blacklisted),
        ("npx -c 'rm x'", Rule::Blacklisted),
    ] {
        blocked(&g, cmd, rule);
    }
}
