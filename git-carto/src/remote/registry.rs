//! The container registry, through the OCI distribution API (oci-client).
//!
//! Releases promote the image CI already built and tested (DESIGN 7.3): the
//! manifest of `carto-main-<sha7>` (an image index for multi-arch included) is
//! read once and put under each release tag, byte for byte, so every tag ends
//! on the same digest; the digest each tag answers with afterwards is checked.
//! Within one repository the blobs are already there, so no layer moves.
//!
//! Credentials come from `CARTO_REGISTRY_USERNAME`/`CARTO_REGISTRY_PASSWORD`
//! or the Docker config file (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`, inline `auth` or a credential helper), and never
//! appear in output or errors. Registries on loopback are spoken to over plain
//! http, as docker does; everything else over https.

use std::path::PathBuf;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::error::{Error, Result};
use crate::term::redact::{add_secret, redact};

pub const USERNAME_VAR: &str = "CARTO_REGISTRY_USERNAME";
pub const PASSWORD_VAR: &str = "CARTO_REGISTRY_PASSWORD";

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const ACCEPTED: &[&str] = &[OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// A manifest as the registry holds it: exact bytes, their digest and type.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub digest: String,
    pub media_type: String,
}

impl Manifest {
    /// Whether this is an index over several platform manifests.
    pub fn is_index(&self) -> bool {
        self.media_type == OCI_INDEX || self.media_type == DOCKER_LIST
    }
}

/// One image repository (`ghcr.io/cartodb/litellm-non_root`) on its registry.
pub struct Registry {
    image: String,
    host: String,
    client: Client,
    auth: RegistryAuth,
    runtime: tokio::runtime::Runtime,
}

impl Registry {
    /// Connect to the registry of `image` with the credentials found for it.
    pub fn connect(image: &str) -> Result<Self> {
        let probe = reference(image, "latest")?;
        let host = probe.resolve_registry().to_string();
        let auth = credentials(&host)?;
        match &auth {
            RegistryAuth::Basic(_, secret) | RegistryAuth::Bearer(secret) => add_secret(secret),
            RegistryAuth::Anonymous => {}
        }
        // reqwest with rustls needs a process-wide crypto provider; a second
        // install (another command did it first) is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let protocol = if is_loopback(&host) {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        };
        let client = Client::new(ClientConfig {
            protocol,
            read_timeout: Some(std::time::Duration::from_secs(60)),
            connect_timeout: Some(std::time::Duration::from_secs(10)),
            ..Default::default()
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::refused(format!("cannot start the async runtime: {e}")))?;
        Ok(Registry {
            image: image.to_string(),
            host,
            client,
            auth,
            runtime,
        })
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The manifest under `tag`, or `None` when the tag does not exist.
    pub fn manifest(&self, tag: &str) -> Result<Option<Manifest>> {
        let r = reference(&self.image, tag)?;
        let got = self
            .runtime
            .block_on(self.client.pull_manifest_raw(&r, &self.auth, ACCEPTED));
        match got {
            Ok((bytes, digest)) => {
                let media_type = media_type_of(&bytes);
                Ok(Some(Manifest {
                    bytes: bytes.to_vec(),
                    digest,
                    media_type,
                }))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.error(e, &format!("reading {}:{tag}", self.image))),
        }
    }

    /// The digest `tag` answers with, or `None` when the tag does not exist.
    pub fn digest(&self, tag: &str) -> Result<Option<String>> {
        Ok(self.manifest(tag)?.map(|m| m.digest))
    }

    /// Put `manifest` under `tag` unchanged and return the digest the
    /// registry then answers for the tag.
    pub fn put(&self, tag: &str, manifest: &Manifest) -> Result<String> {
        let r = reference(&self.image, tag)?;
        let content_type = manifest
            .media_type
            .parse()
            .map_err(|_| Error::refused(format!("bad media type {}", manifest.media_type)))?;
        // Credentials are registered with the client on first use; a put may
        // come before any read.
        self.runtime
            .block_on(self.client.store_auth_if_needed(&self.host, &self.auth));
        let pushed = self.runtime.block_on(self.client.push_manifest_raw(
            &r,
            manifest.bytes.clone(),
            content_type,
        ));
        pushed.map_err(|e| self.error(e, &format!("tagging {}:{tag}", self.image)))?;
        self.digest(tag)?.ok_or_else(|| {
            Error::refused(format!(
                "the registry accepted {}:{tag} but does not answer for it",
                self.image
            ))
        })
    }

    /// A user-facing error: status and what to do, never the credentials.
    fn error(&self, e: OciDistributionError, while_: &str) -> Error {
        let host = &self.host;
        let status = status_of(&e);
        let msg = match status {
            Some(401) => format!(
                "registry {host} refused the credentials (401 Unauthorized): run `docker login {host}` \
                 or set {USERNAME_VAR} and {PASSWORD_VAR}"
            ),
            Some(403) => format!(
                "registry {host} denied access (403 Forbidden): the credentials cannot push to {}",
                self.image
            ),
            Some(404) => format!("registry {host} has no repository {} (404)", self.image),
            Some(code) if code >= 500 => format!(
                "registry {host} failed ({code} server error); try again later"
            ),
            Some(code) => format!("registry {host} answered {code}: {}", summary(&e)),
            None => format!("registry {host}: {}", summary(&e)),
        };
        // oci-client's texts can carry what the server sent back, and a
        // server may echo our Authorization header.
        Error::refused(redact(&msg).into_owned()).context(while_.to_string())
    }
}

fn reference(image: &str, tag: &str) -> Result<Reference> {
    Reference::try_from(format!("{image}:{tag}"))
        .map_err(|e| Error::usage(format!("`{image}:{tag}` is not an image reference: {e}")))
}

fn is_loopback(host: &str) -> bool {
    let name = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    name == "localhost"
        || name.starts_with("127.")
        || name == "[::1]"
        || name.ends_with(".localhost")
}

/// The `mediaType` a manifest declares; OCI allows leaving it out, then the
/// shape tells (an index has `manifests`).
fn media_type_of(bytes: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    match v.get("mediaType").and_then(|m| m.as_str()) {
        Some(m) => m.to_string(),
        None if v.get("manifests").is_some() => OCI_INDEX.to_string(),
        None => OCI_MANIFEST.to_string(),
    }
}

fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|c| {
            matches!(
                c.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound
            )
        }),
        OciDistributionError::ServerError { code: 404, .. } => true,
        _ => false,
    }
}

fn status_of(e: &OciDistributionError) -> Option<u16> {
    match e {
        OciDistributionError::UnauthorizedError { .. } => Some(401),
        OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RegistryError { envelope, .. } => {
            envelope.errors.iter().find_map(|c| match c.code {
                OciErrorCode::Unauthorized => Some(401),
                OciErrorCode::Denied => Some(403),
                OciErrorCode::NameUnknown | OciErrorCode::ManifestUnknown => Some(404),
                OciErrorCode::Toomanyrequests => Some(429),
                _ => None,
            })
        }
        OciDistributionError::RequestError(r) => r.status().map(|s| s.as_u16()),
        _ => None,
    }
}

/// oci-client's message without URLs' query strings or response bodies that
/// could echo a token.
fn summary(e: &OciDistributionError) -> String {
    match e {
        OciDistributionError::RequestError(r) if r.is_connect() => {
            "cannot connect (is the registry running and reachable?)".to_string()
        }
        OciDistributionError::RequestError(r) if r.is_timeout() => "timed out".to_string(),
        OciDistributionError::RequestError(_) => "request failed".to_string(),
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .map(|c| format!("{:?}: {}", c.code, c.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => {
            let s = other.to_string();
            s.split('?').next().unwrap_or(&s).to_string()
        }
    }
}

/// Credentials for `host`: the environment first, then the Docker config.
fn credentials(host: &str) -> Result<RegistryAuth> {
    let user = std::env::var(USERNAME_VAR).ok().filter(|s| !s.is_empty());
    let pass = std::env::var(PASSWORD_VAR).ok().filter(|s| !s.is_empty());
    match (user, pass) {
        (Some(u), Some(p)) => return Ok(RegistryAuth::Basic(u, p)),
        (Some(_), None) | (None, Some(_)) => {
            return Err(Error::usage(format!(
                "set both {USERNAME_VAR} and {PASSWORD_VAR}, or neither"
            )))
        }
        (None, None) => {}
    }
    let Some(path) = docker_config_path() else {
        return Ok(RegistryAuth::Anonymous);
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(RegistryAuth::Anonymous);
    };
    let config: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Error::usage(format!(
            "{} is not valid JSON ({e}): fix or remove it",
            path.display()
        ))
    })?;
    match from_config(&config, host, &path)? {
        FromConfig::Auth(auth) => Ok(auth),
        FromConfig::Helper(helper) => helper_auth(&helper, host),
        FromConfig::Anonymous => Ok(RegistryAuth::Anonymous),
    }
}

/// What the Docker config says about `host`.
enum FromConfig {
    Auth(RegistryAuth),
    /// A `docker-credential-<name>` helper to ask.
    Helper(String),
    Anonymous,
}

/// Read the Docker config as docker does; a section of the wrong type is a
/// usage error naming it (docker itself refuses such a file), never ignored.
fn from_config(
    config: &serde_json::Value,
    host: &str,
    path: &std::path::Path,
) -> Result<FromConfig> {
    let wrong = |what: &str| {
        Error::usage(format!(
            "{}: `{what}` has the wrong type: fix or remove it",
            path.display()
        ))
    };
    if !config.is_object() {
        return Err(wrong("the top level"));
    }
    let keys = [
        host.to_string(),
        format!("https://{host}"),
        format!("http://{host}"),
        format!("https://{host}/v1/"),
        format!("https://{host}/v2/"),
    ];
    match config.get("auths") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(auths)) => {
            for key in &keys {
                if let Some(entry) = auths.get(key) {
                    if !entry.is_object() {
                        return Err(wrong(&format!("auths.{key}")));
                    }
                    if let Some(auth) = inline_auth(entry, path)? {
                        return Ok(FromConfig::Auth(auth));
                    }
                }
            }
        }
        Some(_) => return Err(wrong("auths")),
    }
    let helper = match config.get("credHelpers") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(h)) => match h.get(host) {
            None => None,
            Some(serde_json::Value::String(name)) => Some(name.clone()),
            Some(_) => return Err(wrong(&format!("credHelpers.{host}"))),
        },
        Some(_) => return Err(wrong("credHelpers")),
    };
    let helper = match (helper, config.get("credsStore")) {
        (Some(h), _) => Some(h),
        (None, None | Some(serde_json::Value::Null)) => None,
        (None, Some(serde_json::Value::String(s))) => Some(s.clone()),
        (None, Some(_)) => return Err(wrong("credsStore")),
    };
    Ok(match helper {
        Some(h) => FromConfig::Helper(h),
        None => FromConfig::Anonymous,
    })
}

fn docker_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG") {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

fn inline_auth(entry: &serde_json::Value, path: &std::path::Path) -> Result<Option<RegistryAuth>> {
    use base64::Engine as _;
    if let Some(token) = entry.get("registrytoken").and_then(|t| t.as_str()) {
        return Ok(Some(RegistryAuth::Bearer(token.to_string())));
    }
    if let (Some(u), Some(p)) = (
        entry.get("username").and_then(|u| u.as_str()),
        entry.get("password").and_then(|p| p.as_str()),
    ) {
        return Ok(Some(RegistryAuth::Basic(u.to_string(), p.to_string())));
    }
    let Some(encoded) = entry.get("auth").and_then(|a| a.as_str()) else {
        return Ok(None);
    };
    let bad = || {
        Error::usage(format!(
            "{}: an `auth` entry is not base64 of user:password",
            path.display()
        ))
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (u, p) = decoded.split_once(':').ok_or_else(bad)?;
    Ok(Some(RegistryAuth::Basic(u.to_string(), p.to_string())))
}

/// Ask `docker-credential-<helper>` as docker does: host on stdin, JSON out.
fn helper_auth(helper: &str, host: &str) -> Result<RegistryAuth> {
    use std::io::Write as _;
    let program = format!("docker-credential-{helper}");
    let child = std::process::Command::new(&program)
        .arg("get")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return Err(Error::usage(format!(
            "the Docker config names the credential helper `{helper}` but `{program}` is not on PATH; \
             install it or set {USERNAME_VAR} and {PASSWORD_VAR}"
        )));
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(host.as_bytes());
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        // No stored credentials for this host: anonymous, as docker would.
        return Ok(RegistryAuth::Anonymous);
    }
    helper_answer(&program, &out.stdout)
}

/// A credential helper's answer (`{"Username": ..., "Secret": ...}`); an
/// answer that is not that is an error (never the helper's text: it may hold
/// the secret).
fn helper_answer(program: &str, stdout: &[u8]) -> Result<RegistryAuth> {
    let v: serde_json::Value = serde_json::from_slice(stdout).map_err(|_| {
        Error::usage(format!(
            "`{program} get` did not answer JSON: check the credential helper"
        ))
    })?;
    match (
        v.get("Username").and_then(|u| u.as_str()),
        v.get("Secret").and_then(|s| s.as_str()),
    ) {
        (Some("<token>"), Some(s)) => Ok(RegistryAuth::Bearer(s.to_string())),
        (Some(u), Some(s)) => Ok(RegistryAuth::Basic(u.to_string(), s.to_string())),
        _ => Err(Error::usage(format!(
            "`{program} get` answered without a text Username and Secret: check the credential \
             helper"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "localhost:1234",
            "localhost",
            "[::1]:5000",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["ghcr.io", "registry.example.com:5000", "10.0.0.1:5000"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    use proptest::prelude::*;

    fn auth_kind(a: &RegistryAuth) -> &'static str {
        match a {
            RegistryAuth::Anonymous => "anonymous",
            RegistryAuth::Basic(..) => "basic",
            RegistryAuth::Bearer(_) => "bearer",
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_manifest_bytes_have_a_media_type(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
            prop_assert!(!media_type_of(&bytes).is_empty());
        }

        #[test]
        fn any_manifest_json_has_a_media_type(v in crate::remote::github::fuzz_json()) {
            let bytes = serde_json::to_vec(&v).unwrap_or_default();
            let m = media_type_of(&bytes);
            match v.get("mediaType").and_then(|m| m.as_str()) {
                Some(declared) => prop_assert_eq!(m, declared),
                None => prop_assert!(m == OCI_INDEX || m == OCI_MANIFEST),
            }
        }

        #[test]
        fn any_docker_config_is_read_or_refused(v in crate::remote::github::fuzz_json()) {
            let path = std::path::Path::new("/home/u/.docker/config.json");
            match from_config(&v, "ghcr.io", path) {
                Ok(FromConfig::Auth(a)) => prop_assert!(auth_kind(&a) != "anonymous"),
                Ok(_) => {}
                Err(e) => prop_assert!(e.message().starts_with("/home/u/.docker/config.json")),
            }
        }

        #[test]
        fn any_helper_answer_is_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
            if let Err(e) = helper_answer("docker-credential-x", &bytes) {
                prop_assert!(e.message().contains("docker-credential-x get"));
            }
        }
    }

    #[test]
    fn wrong_types_in_the_docker_config_are_named() {
        let path = std::path::Path::new("config.json");
        let err = |v: serde_json::Value| match from_config(&v, "ghcr.io", path) {
            Err(e) => e.message().to_string(),
            Ok(_) => "accepted".into(),
        };
        assert!(err(serde_json::json!({"auths": []})).contains("`auths` has the wrong type"));
        assert!(err(serde_json::json!({"auths": {"ghcr.io": "x"}})).contains("auths.ghcr.io"));
        assert!(err(serde_json::json!({"credsStore": 1})).contains("credsStore"));
        assert!(err(serde_json::json!([1])).contains("the top level"));
        let ok = from_config(
            &serde_json::json!({"auths": {"ghcr.io": {"auth": "dTpw"}}}),
            "ghcr.io",
            path,
        );
        assert!(
            matches!(ok, Ok(FromConfig::Auth(RegistryAuth::Basic(u, p))) if u == "u" && p == "p")
        );
        assert!(helper_answer("h", br#"{"Username":"u","Secret":5}"#).is_err());
        // A helper's text is never quoted: it may be the secret itself.
        let e = helper_answer("h", b"s3cr3t-token").unwrap_err();
        assert!(!e.message().contains("s3cr3t"), "{}", e.message());
    }

    #[test]
    fn media_types() {
        assert_eq!(media_type_of(br#"{"manifests":[]}"#), OCI_INDEX);
        assert_eq!(
            media_type_of(format!(r#"{{"mediaType":"{DOCKER_LIST}"}}"#).as_bytes()),
            DOCKER_LIST
        );
        assert_eq!(media_type_of(br#"{"layers":[]}"#), OCI_MANIFEST);
    }
}
