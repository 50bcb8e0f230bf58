//! Network namespaces the tests build their networks in (NAT routers, lossy links). Everything a [`Lab`]
//! creates lives inside namespaces it created, named after the test process, and is deleted when it drops,
//! failed test or not: the host's own interfaces, routes and firewall are never touched.
//!
//! Creating namespaces needs root (CI runs as root). Without it the tests fail with a message saying so
//! rather than pass without having run.

use std::process::{Child, Command, Stdio};

/// Namespaces created for one test, deleted (with every process still inside them) on drop.
pub struct Lab {
    prefix: String,
    namespaces: Vec<String>,
    children: Vec<Child>,
}

impl Lab {
    /// A lab whose namespaces are named `enr<pid>-<tag>-...`.
    pub fn new(tag: &str) -> Self {
        Self {
            prefix: format!("enr{}-{tag}", std::process::id()),
            namespaces: Vec::new(),
            children: Vec::new(),
        }
    }

    /// The prefix of this lab's namespace names.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Creates the namespace `<prefix>-<name>` with its loopback up; its full name.
    pub fn namespace(&mut self, name: &str) -> String {
        let ns = format!("{}-{name}", self.prefix);
        let out = Command::new("ip")
            .args(["netns", "add", &ns])
            .output()
            .expect("the `ip` command (iproute2) runs");
        assert!(
            out.status.success(),
            "cannot create network namespace {ns}: {}. These tests build real networks in namespaces and \
             need root (CI runs as root); run them as root.",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        self.namespaces.push(ns.clone());
        self.ip(&ns, "link set lo up");
        ns
    }

    /// Deletes `ns` on drop too (namespaces created by a helper process).
    pub fn adopt(&mut self, ns: String) {
        self.namespaces.push(ns);
    }

    /// `ip -n <ns> <args>` (whitespace-separated), which must succeed.
    pub fn ip(&self, ns: &str, args: &str) {
        let mut all = vec!["-n", ns];
        all.extend(args.split_whitespace());
        run("ip", &all);
    }

    /// `ip netns exec <ns> <command>` (whitespace-separated), which must succeed.
    pub fn exec(&self, ns: &str, command: &str) {
        let mut all = vec!["netns", "exec", ns];
        all.extend(command.split_whitespace());
        run("ip", &all);
    }

    /// A veth pair: `a_if` in `a`, `b_if` in `b`, created directly inside them (never in the host's
    /// namespace), both up.
    pub fn veth(&self, a: &str, a_if: &str, b: &str, b_if: &str) {
        self.ip(
            a,
            &format!("link add {a_if} type veth peer name {b_if} netns {b}"),
        );
        self.ip(a, &format!("link set {a_if} up"));
        self.ip(b, &format!("link set {b_if} up"));
    }

    /// Starts a helper process, killed on drop.
    pub fn spawn(&mut self, command: &mut Command) -> &mut Child {
        let child = command.spawn().expect("helper starts");
        self.children.push(child);
        self.children.last_mut().unwrap()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            // SIGTERM first: a helper may own namespaces it deletes on exit.
            let _ = Command::new("kill").arg(child.id().to_string()).status();
        }
        for child in &mut self.children {
            let _ = child.wait();
        }
        for ns in &self.namespaces {
            // Processes still inside (workers of a failed test) go with their namespace.
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e} (scripts/setup installs it)"));
    assert!(
        out.status.success(),
        "`{program} {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}
