//! A machine's network as a whole: its namespace (loopback plus the private
//! address the proxy and checks connect to), the slirp4netns that gives it
//! outbound traffic when fly-local can, and the resolver files the machine
//! sees (`/etc/hosts`, and `/etc/resolv.conf` pointing at slirp's DNS).
//! It lives from the machine's first boot until it is destroyed (or
//! fly-local stops), across restarts, like a Fly machine's network.

use std::path::Path;

use super::egress::{DNS, Egress, Slirp};
use super::launch::FileToWrite;
use super::netns::{self, NetNs};

pub struct MachineNet {
    /// slirp4netns, or why the machine has no outbound network. Declared
    /// first so slirp4netns ends before the namespace fd closes.
    egress: Result<Slirp, String>,
    pub ns: NetNs,
}

impl MachineNet {
    /// Creates the namespace and attaches egress. A namespace that cannot be
    /// created is an error (the machine cannot boot); egress that cannot be
    /// attached is logged and remembered (the machine runs without outbound
    /// network, see [`MachineNet::egress_problem`]).
    ///
    /// Blocking (runs `ip`, waits for slirp4netns): call it from a blocking thread.
    pub fn create(
        machine_id: &str,
        private_ip: &str,
        egress: &Egress,
        slirp_log: &Path,
    ) -> std::io::Result<Self> {
        let ipv6 = private_ip.parse().unwrap_or(std::net::Ipv6Addr::LOCALHOST);
        let ns = NetNs::create(machine_id, netns::machine_ipv4(machine_id), ipv6)?;
        let egress = match egress {
            Egress::Slirp(config) => Slirp::attach(config, ns.as_fd(), slirp_log).map_err(|e| {
                tracing::warn!(machine = machine_id, error = %e, "machine has no outbound network");
                e.to_string()
            }),
            Egress::None(reason) => Err(reason.clone()),
            Egress::Host => Err("host isolation has no machine namespace".into()),
        };
        Ok(Self { egress, ns })
    }

    /// Why this machine has no outbound network (`None`: it has).
    pub fn egress_problem(&self) -> Option<&str> {
        self.egress.as_ref().err().map(String::as_str)
    }

    fn has_egress(&self) -> bool {
        self.egress.is_ok()
    }

    /// Files written into the machine's root at each boot, before the
    /// config's own `files` (which may replace them).
    pub fn guest_files(&self, hostname: &str) -> Vec<FileToWrite> {
        let mut files = vec![FileToWrite {
            guest_path: "/etc/hosts".into(),
            contents: hosts(hostname, &self.ns).into_bytes(),
            mode: 0o644,
        }];
        if self.has_egress() {
            files.push(FileToWrite {
                guest_path: "/etc/resolv.conf".into(),
                contents: format!(
                    "# fly-local: DNS through slirp4netns to the host's resolver\nnameserver {DNS}\n"
                )
                .into_bytes(),
                mode: 0o644,
            });
        }
        files
    }
}

/// `/etc/hosts` as on a Fly machine: localhost names, and the machine's
/// hostname (its id) on its own addresses, never the host's entries.
fn hosts(hostname: &str, ns: &NetNs) -> String {
    format!(
        "127.0.0.1\tlocalhost localhost.localdomain\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         ff00::0\tip6-mcastprefix\n\
         ff02::1\tip6-allnodes\n\
         ff02::2\tip6-allrouters\n\
         {}\t{hostname}\n\
         {}\t{hostname}\n",
        ns.ipv4, ns.ipv6
    )
}
