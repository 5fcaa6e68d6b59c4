//! The HTTP client: TLS with the system's root certificates plus an optional `ca_file`, and
//! proxies from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY`. A loopback address is
//! never sent through a proxy, whatever the environment says.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use reqwest::Url;

use super::describe;
use crate::EngineConfig;

/// The proxy settings of the environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Proxies {
    https: Option<Url>,
    http: Option<Url>,
    all: Option<Url>,
    /// `NO_PROXY=*`: nothing is proxied.
    none: bool,
    exceptions: Vec<Exception>,
}

/// One entry of `NO_PROXY`.
#[derive(Debug, Clone, PartialEq)]
enum Exception {
    /// A host name and its subdomains (`example.com`, `.example.com`, `*.example.com`).
    Domain(String),
    /// An address, or a network in CIDR form (`10.0.0.0/8`).
    Network(IpAddr, u8),
}

impl Proxies {
    /// Reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case) through
    /// `env`. A value that does not parse is an error naming the variable.
    pub(crate) fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Proxies, String> {
        let get = |name: &str| {
            env(name)
                .or_else(|| env(&name.to_ascii_lowercase()))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let url = |name: &str| -> Result<Option<Url>, String> {
            let Some(value) = get(name) else { return Ok(None) };
            let full =
                if value.contains("://") { value.clone() } else { format!("http://{value}") };
            let url = Url::parse(&full)
                .map_err(|e| format!("{name} (`{value}`) is not a proxy URL: {e}"))?;
            if url.host_str().is_none() {
                return Err(format!("{name} (`{value}`) names no host"));
            }
            Ok(Some(url))
        };
        let mut proxies = Proxies {
            https: url("HTTPS_PROXY")?,
            http: url("HTTP_PROXY")?,
            all: url("ALL_PROXY")?,
            ..Proxies::default()
        };
        for entry in get("NO_PROXY").unwrap_or_default().split(',') {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                proxies.none = true;
                continue;
            }
            if let Some((address, bits)) = entry.split_once('/')
                && let (Ok(address), Ok(bits)) = (address.parse::<IpAddr>(), bits.parse::<u8>())
            {
                proxies.exceptions.push(Exception::Network(address, bits));
                continue;
            }
            let bare = entry.trim_start_matches('[');
            let bare = bare.split(']').next().unwrap_or(bare);
            if let Ok(address) = bare.parse::<IpAddr>() {
                let bits = if address.is_ipv4() { 32 } else { 128 };
                proxies.exceptions.push(Exception::Network(address, bits));
                continue;
            }
            // A domain, maybe with a port (ignored) and a leading `*.` or `.`.
            let host = entry.rsplit_once(':').map_or(entry, |(host, _)| host);
            let host = host.trim_start_matches("*.").trim_start_matches('.');
            proxies.exceptions.push(Exception::Domain(host.to_ascii_lowercase()));
        }
        Ok(proxies)
    }

    /// Whether any proxy is configured.
    pub(crate) fn any(&self) -> bool {
        !self.none && (self.https.is_some() || self.http.is_some() || self.all.is_some())
    }

    /// The proxy for a request to `url`, if any.
    pub(crate) fn proxy_for(&self, url: &Url) -> Option<Url> {
        if self.none {
            return None;
        }
        let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']');
        let host = host.to_ascii_lowercase();
        if is_loopback(&host) || self.excepted(&host) {
            return None;
        }
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            _ => self.http.as_ref(),
        };
        proxy.or(self.all.as_ref()).cloned()
    }

    fn excepted(&self, host: &str) -> bool {
        let address = host.parse::<IpAddr>().ok();
        self.exceptions.iter().any(|exception| match (exception, address) {
            (Exception::Domain(domain), None) => {
                host == domain
                    || host.strip_suffix(domain.as_str()).is_some_and(|rest| rest.ends_with('.'))
            }
            (Exception::Network(network, bits), Some(address)) => {
                in_network(address, *network, *bits)
            }
            _ => false,
        })
    }
}

/// `localhost`, `*.localhost`, `127.0.0.0/8`, `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|address| match address {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    })
}

fn in_network(address: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = u32::from(bits.min(32));
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = u32::from(bits.min(128));
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The client for `config`'s endpoints: its timeouts, TLS roots and proxies.
pub(crate) fn client(config: &EngineConfig, proxies: Proxies) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
        .user_agent(concat!("infill/", env!("CARGO_PKG_VERSION")))
        .tcp_nodelay(true)
        // The environment is read here, by our rules (loopback is never proxied).
        .no_proxy();
    if proxies.any() {
        builder = builder.proxy(reqwest::Proxy::custom(move |url| proxies.proxy_for(url)));
    }
    if config.endpoints.iter().any(|e| e.starts_with("https://")) {
        // The system's roots (the OS store, or SSL_CERT_FILE/SSL_CERT_DIR), besides the
        // built-in Mozilla roots.
        let found = rustls_native_certs::load_native_certs();
        for certificate in found.certs {
            if let Ok(certificate) = reqwest::Certificate::from_der(certificate.as_ref()) {
                builder = builder.add_root_certificate(certificate);
            }
        }
    }
    if let Some(path) = &config.ca_file {
        for certificate in read_ca_file(path)? {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|e| format!("cannot set up the HTTP client: {}", describe(&e)))
}

fn read_ca_file(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("engine.ca_file: cannot read `{}`: {e}", path.display()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| {
        format!("engine.ca_file: `{}` is not a PEM certificate bundle: {e}", path.display())
    })?;
    if certificates.is_empty() {
        return Err(format!(
            "engine.ca_file: `{}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(vars: &[(&str, &str)]) -> Proxies {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Proxies::from_env(&|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap()
    }

    fn via(proxies: &Proxies, url: &str) -> Option<String> {
        proxies.proxy_for(&Url::parse(url).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn loopback_is_never_proxied() {
        let p = proxies(&[("HTTPS_PROXY", "http://proxy:3128"), ("http_proxy", "proxy:3129")]);
        for url in [
            "http://127.0.0.1:8080/v1",
            "http://127.1.2.3/v1",
            "https://localhost/v1",
            "http://api.localhost:1/",
            "http://[::1]:8080/v1",
        ] {
            assert_eq!(via(&p, url), None, "{url}");
        }
        assert_eq!(via(&p, "https://gpu-1:8000/v1").as_deref(), Some("http://proxy:3128/"));
        assert_eq!(via(&p, "http://gpu-1:8000/v1").as_deref(), Some("http://proxy:3129/"));
    }

    #[test]
    fn no_proxy_takes_domains_addresses_and_networks() {
        let p = proxies(&[
            ("ALL_PROXY", "http://proxy:3128"),
            ("NO_PROXY", " .corp.example, lan.test:8080, 10.0.0.0/8 ,192.168.1.7,[fd00::1]"),
        ]);
        for url in [
            "http://gpu.corp.example/v1",
            "http://corp.example/v1",
            "http://lan.test/v1",
            "http://10.2.3.4:8000/v1",
            "http://192.168.1.7/v1",
            "http://[fd00::1]:80/",
        ] {
            assert_eq!(via(&p, url), None, "{url}");
        }
        for url in ["http://notcorp.example/v1", "http://11.0.0.1/", "http://192.168.1.8/"] {
            assert!(via(&p, url).is_some(), "{url}");
        }
        assert_eq!(via(&proxies(&[("ALL_PROXY", "p:1"), ("NO_PROXY", "*")]), "http://x/"), None);
        assert_eq!(via(&proxies(&[]), "http://x/"), None);
    }

    #[test]
    fn a_bad_proxy_names_the_variable() {
        let error = Proxies::from_env(&|name| (name == "HTTPS_PROXY").then(|| "http://".into()))
            .unwrap_err();
        assert!(error.contains("HTTPS_PROXY"), "{error}");
    }
}
