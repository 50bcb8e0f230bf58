//! Which addresses an origin pull may reach. A dApp writes any URL on chain and every edge fetches it, so
//! without a check an edge would fetch its own loopback services, its LAN, or the cloud metadata service
//! (169.254.169.254) for anyone, and tell them the result. The check runs where the connection is made: the
//! URL's literal address before the request and on every redirect hop ([`redirect_policy`]), and every
//! address a name resolves to in [`FilteringResolver`], whose answer is the one connected to, so a name that
//! resolves once to a public address and then to a private one (DNS rebinding) gains nothing. Public
//! origins are on the web's ports (80 and 443) only, so a URL cannot aim an edge at a mail or database
//! server, and never on the node's own listen addresses (a pull of the node's own gateway would wait on
//! itself).

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    redirect, Url,
};

use enreach_reach::{connected_ip, reach, Reach};

use crate::limits::MAX_ORIGIN_REDIRECTS;

/// Why an origin URL is not fetched.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// Not `http` or `https`.
    #[error("origin scheme {0:?} is not http or https")]
    Scheme(String),
    /// The URL has no host.
    #[error("origin URL has no host")]
    NoHost,
    /// The address is not one origin pulls may reach.
    #[error("origin address {0} is not public")]
    NotPublic(IpAddr),
    /// Every address the name resolves to is not one origin pulls may reach (or it resolves to none).
    #[error("origin host {0} resolves to no public address")]
    NoPublicAddress(String),
    /// A public origin on another port than the web's.
    #[error("origin port {0} is not 80 or 443")]
    Port(u16),
    /// One of the node's own listen addresses.
    #[error("origin address {0} is this node's own")]
    OwnAddress(SocketAddr),
    /// The origin redirected more than [`MAX_ORIGIN_REDIRECTS`] times.
    #[error("origin redirected more than {MAX_ORIGIN_REDIRECTS} times")]
    TooManyRedirects,
}

/// The addresses origin pulls may reach.
#[derive(Clone, Debug)]
pub struct EgressPolicy {
    allow_private: bool,
    /// The node's own listen addresses (unspecified ones as every address of its interfaces), each as
    /// [`connected_ip`] gives it, as the addresses they are compared with are.
    own: Arc<[SocketAddr]>,
}

impl EgressPolicy {
    /// Public addresses only, on ports 80 and 443, or with `allow_private` also loopback and private ones on
    /// any port (local test networks; never link-local, so never the metadata service).
    pub fn new(allow_private: bool) -> Self {
        Self {
            allow_private,
            own: Arc::new([]),
        }
    }

    /// Also refuses the node's own listen addresses `own`; an unspecified one (`0.0.0.0`, `::`) stands for
    /// every address of the node's interfaces.
    pub fn refusing(mut self, own: &[SocketAddr]) -> Self {
        let interfaces: Vec<IpAddr> = match own.iter().any(|a| a.ip().is_unspecified()) {
            true => if_addrs::get_if_addrs()
                .map(|all| all.iter().map(|i| i.ip()).collect())
                .unwrap_or_default(),
            false => Vec::new(),
        };
        self.own = own
            .iter()
            .flat_map(|a| match a.ip().is_unspecified() {
                true => interfaces
                    .iter()
                    .map(|ip| SocketAddr::new(*ip, a.port()))
                    .collect(),
                false => vec![*a],
            })
            .map(|a| SocketAddr::new(connected_ip(a.ip()), a.port()))
            .collect();
        self
    }

    /// Whether `ip` may be reached. A public address of the node's own is refused on any port (names are
    /// resolved without the port), in whichever form carries it ([`connected_ip`]); a private one only as a
    /// socket, by [`Self::check_url`], as a local test network's origins share the node's address.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match reach(ip) {
            Reach::Public => !self.own.iter().any(|own| own.ip() == connected_ip(ip)),
            Reach::Private => self.allow_private,
            Reach::Never => false,
        }
    }

    /// Whether `url` may be fetched as far as can be told without resolving it: its scheme, its port, and its
    /// address if it is one (names are checked by [`FilteringResolver`]).
    pub fn check_url(&self, url: &Url) -> Result<(), EgressError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EgressError::Scheme(url.scheme().into()));
        }
        let port = url.port_or_known_default().unwrap_or_default();
        if !self.allow_private && !PUBLIC_ORIGIN_PORTS.contains(&port) {
            return Err(EgressError::Port(port));
        }
        let ip = match url.host().ok_or(EgressError::NoHost)? {
            url::Host::Domain(_) => return Ok(()),
            url::Host::Ipv4(v4) => IpAddr::V4(v4),
            url::Host::Ipv6(v6) => IpAddr::V6(v6),
        };
        let socket = SocketAddr::new(connected_ip(ip), port);
        if self.own.contains(&socket) {
            return Err(EgressError::OwnAddress(socket));
        }
        match self.allows(ip) {
            true => Ok(()),
            false => Err(EgressError::NotPublic(ip)),
        }
    }
}

/// The ports of public origins: the web's. Without `--allow-private-origins`, a URL naming another port (a
/// mail, database or admin service) is refused.
const PUBLIC_ORIGIN_PORTS: [u16; 2] = [80, 443];

/// Resolves origin host names to the addresses [`EgressPolicy`] allows, and fails when none is left.
pub struct FilteringResolver {
    policy: EgressPolicy,
}

impl FilteringResolver {
    /// A resolver that keeps what `policy` allows.
    pub fn new(policy: EgressPolicy) -> Arc<Self> {
        Arc::new(Self { policy })
    }
}

impl Resolve for FilteringResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let allowed: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| policy.allows(addr.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(EgressError::NoPublicAddress(host).into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Follows up to [`MAX_ORIGIN_REDIRECTS`] redirects, each to a URL `policy` allows.
pub fn redirect_policy(policy: EgressPolicy) -> redirect::Policy {
    redirect::Policy::custom(move |attempt| {
        // `previous` holds the first URL and every hop before this one.
        if attempt.previous().len() > MAX_ORIGIN_REDIRECTS {
            return attempt.error(EgressError::TooManyRedirects);
        }
        match policy.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(e) => attempt.error(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(policy: &EgressPolicy, ip: &str) -> bool {
        policy.allows(ip.parse().unwrap())
    }

    #[test]
    fn the_nodes_own_address_is_refused_in_its_ipv6_forms_too() {
        // Second attacker review: reach() judges mapped, NAT64 and 6to4 forms by their IPv4 address, but the
        // own-address check compares the address as written, so [::ffff:<own>]:443 (which a dual-stack socket
        // connects to over IPv4) or 64:ff9b::<own> pulls from the node's own gateway.
        let own: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let policy = EgressPolicy::new(false).refusing(&[own]);
        assert!(!allowed(&policy, "93.184.215.14"));
        for url in [
            "https://[::ffff:93.184.215.14]/c/x",
            "https://[64:ff9b::5db8:d70e]/c/x",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(policy.check_url(&url).is_err(), "{url} is the node itself");
        }
        for ip in ["::ffff:93.184.215.14", "64:ff9b::5db8:d70e"] {
            assert!(!allowed(&policy, ip), "{ip} resolved from a name");
        }
    }

    #[test]
    fn only_public_addresses_are_reached_by_default() {
        let public = EgressPolicy::new(false);
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(allowed(&public, ip), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd00:ec2::254",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
            "2001:0:4136:e378::1",
        ] {
            assert!(!allowed(&public, ip), "{ip}");
        }
    }

    #[test]
    fn private_origins_never_include_metadata_services() {
        let local = EgressPolicy::new(true);
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "::1",
            "fd12::1",
            "::ffff:192.168.0.1",
        ] {
            assert!(allowed(&local, ip), "{ip}");
        }
        for ip in [
            "169.254.169.254",
            "100.100.100.200",
            "fd00:ec2::254",
            "fe80::1",
            "0.0.0.0",
        ] {
            assert!(!allowed(&local, ip), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme_and_literal_address() {
        let public = EgressPolicy::new(false);
        let check = |url: &str| public.check_url(&Url::parse(url).unwrap());
        assert!(check("https://cdn.example.com/model.bin").is_ok());
        assert!(check("http://93.184.215.14/x").is_ok());
        // Every spelling of loopback the URL parser accepts ends up as the same address.
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(
                matches!(check(url), Err(EgressError::NotPublic(_))),
                "{url}"
            );
        }
        assert!(matches!(
            check("ftp://example.com/x"),
            Err(EgressError::Scheme(_))
        ));
    }

    #[test]
    fn public_origins_are_on_ports_80_and_443_only() {
        let public = EgressPolicy::new(false);
        let check = |url: &str| public.check_url(&Url::parse(url).unwrap());
        assert!(check("https://cdn.example.com:443/a").is_ok());
        assert!(check("http://cdn.example.com/a").is_ok());
        for url in [
            "http://cdn.example.com:22/a",
            "https://93.184.215.14:6379/a",
            "http://cdn.example.com:8080/a",
        ] {
            assert!(matches!(check(url), Err(EgressError::Port(_))), "{url}");
        }
        let local = EgressPolicy::new(true);
        assert!(local
            .check_url(&Url::parse("http://127.0.0.1:8080/a").unwrap())
            .is_ok());
    }

    #[test]
    fn the_azure_wire_server_is_never_reached() {
        for policy in [EgressPolicy::new(false), EgressPolicy::new(true)] {
            assert!(!allowed(&policy, "168.63.129.16"));
            assert!(!allowed(&policy, "::ffff:168.63.129.16"));
        }
    }

    #[test]
    fn the_nodes_own_listen_addresses_are_never_reached() {
        // A public node's gateway on 198.51.99.7:443 (an address outside the documentation ranges).
        let own: SocketAddr = "198.51.99.7:443".parse().unwrap();
        let public = EgressPolicy::new(false).refusing(&[own]);
        assert!(
            !public.allows(own.ip()),
            "not even through a name resolving to it"
        );
        assert!(public
            .check_url(&Url::parse("https://198.51.99.7/c/x").unwrap())
            .is_err());
        // In a local test network, only the node's own sockets are refused: origins share its address.
        let gateway: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let local = EgressPolicy::new(true).refusing(&[gateway]);
        for url in [
            "http://127.0.0.1:8080/c/x",
            "http://[::ffff:127.0.0.1]:8080/c/x",
        ] {
            assert!(local.check_url(&Url::parse(url).unwrap()).is_err(), "{url}");
        }
        // Named in a 6to4 form too, and listed in a mapped form itself.
        assert!(!public.allows("2002:c633:6307::1".parse().unwrap()));
        let mapped =
            EgressPolicy::new(false).refusing(&["[::ffff:198.51.99.7]:443".parse().unwrap()]);
        assert!(!mapped.allows(own.ip()));
        assert!(local
            .check_url(&Url::parse("http://127.0.0.1:9000/content.bin").unwrap())
            .is_ok());
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused() {
        let resolver = FilteringResolver::new(EgressPolicy::new(false));
        let err = resolver
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost is refused");
        assert!(err.to_string().contains("no public address"), "{err}");
        let local = FilteringResolver::new(EgressPolicy::new(true));
        assert!(local.resolve("localhost".parse().unwrap()).await.is_ok());
    }
}
