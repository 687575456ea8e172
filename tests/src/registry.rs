//! A real container registry for tests: Debian's `docker-registry` (the CNCF
//! distribution server) on a free loopback port, with its storage in a temp
//! dir, stopped when the value is dropped. Images are put in the way a build
//! pushes them, through the OCI distribution API: blobs, then an OCI manifest,
//! or an index over several manifests for multi-arch.
//!
//! When the binary is missing the test fails and says how to install it:
//! a registry test that skips silently would pass without testing anything.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use sha2::Digest as _;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// Username and password of [`TestRegistry::start_with_auth`].
pub const USER: &str = "carto";
pub const PASSWORD: &str = "s3cret-pass";
/// bcrypt of [`PASSWORD`] (cost 4), as htpasswd stores it.
const PASSWORD_BCRYPT: &str = "$2b$04$.dVVAEdGxEm0jz1PkjyjkOi1Fn5ZdBRrA/p/.Uag8WsXZ4Z3UqqtC";

pub struct TestRegistry {
    child: Child,
    /// `127.0.0.1:<port>`
    pub addr: String,
    auth: Option<String>,
    _dir: tempfile::TempDir,
}

/// One HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn sha256(data: &[u8]) -> String {
    let d = sha2::Sha256::digest(data);
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

impl TestRegistry {
    pub fn start() -> Self {
        Self::launch(false)
    }

    /// A registry that requires HTTP basic auth ([`USER`], [`PASSWORD`]).
    pub fn start_with_auth() -> Self {
        Self::launch(true)
    }

    fn launch(auth: bool) -> Self {
        let bin = which("docker-registry").unwrap_or_else(|| {
            panic!(
                "the `docker-registry` binary is missing: install it with \
                 `apt-get install -y docker-registry` (.ci/run does this); registry tests need a real registry"
            )
        });
        let dir = tempfile::Builder::new()
            .prefix("carto-registry-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let mut config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n",
            dir.path().join("data").display()
        );
        if auth {
            let htpasswd = dir.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{USER}:{PASSWORD_BCRYPT}\n")).unwrap();
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: carto-test\n    path: {}\n",
                htpasswd.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        let mut reg = TestRegistry {
            child,
            addr,
            auth: auth.then(|| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"))
                )
            }),
            _dir: dir,
        };
        reg.wait_ready();
        reg
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = self.request("GET", "/v2/", &[], &[]) {
                if r.status == 200 || r.status == 401 {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self._dir.path().join("registry.log"))
                    .unwrap_or_default();
                panic!("docker-registry exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "docker-registry did not answer on {} within 20 s",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Make the storage fail underneath the running registry: its data
    /// directory becomes a plain file, so every storage access answers 500,
    /// as a registry with a broken backend does.
    pub fn break_storage(&self) {
        let data = self._dir.path().join("data");
        if data.exists() {
            std::fs::rename(&data, self._dir.path().join("data.broken")).unwrap();
        }
        std::fs::write(&data, "not a directory").unwrap();
    }

    /// `127.0.0.1:<port>/<repo>`, the image name a fork would configure.
    pub fn image(&self, repo: &str) -> String {
        format!("{}/{repo}", self.addr)
    }

    /// One HTTP/1.1 request with `Connection: close`.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.addr,
            body.len()
        );
        if let Some(a) = &self.auth {
            head.push_str(&format!("Authorization: {a}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        Ok(parse_response(&raw))
    }

    fn must(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        want: u16,
    ) -> Response {
        let r = self
            .request(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(
            r.status,
            want,
            "{method} {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r
    }

    /// Upload a blob (monolithic: POST a session, PUT the bytes); its digest.
    pub fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let digest = sha256(data);
        let r = self.must("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], &[], 202);
        let location = r.header("location").expect("upload location").to_string();
        let path = location
            .strip_prefix(&format!("http://{}", self.addr))
            .unwrap_or(&location)
            .to_string();
        let sep = if path.contains('?') { '&' } else { '?' };
        self.must(
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            data,
            201,
        );
        digest
    }

    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let r = self.must(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            body,
            201,
        );
        let digest = sha256(body);
        assert_eq!(r.header("docker-content-digest"), Some(digest.as_str()));
        digest
    }

    /// An OCI image of one layer holding `content`, for `os/arch`; tagged
    /// `tag` when given. Returns (manifest digest, manifest bytes).
    pub fn push_image(
        &self,
        repo: &str,
        tag: Option<&str>,
        content: &str,
        platform: &str,
    ) -> (String, Vec<u8>) {
        let (os, arch) = platform.split_once('/').unwrap_or(("linux", platform));
        let layer = format!("layer of {content}").into_bytes();
        let layer_digest = self.push_blob(repo, &layer);
        let config = serde_json::to_vec(&json!({
            "architecture": arch,
            "os": os,
            "config": {"Labels": {"org.opencontainers.image.revision": content}},
            "rootfs": {"type": "layers", "diff_ids": [sha256(&layer)]}
        }))
        .unwrap();
        let config_digest = self.push_blob(repo, &config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": OCI_LAYER, "digest": layer_digest, "size": layer.len()}]
        }))
        .unwrap();
        let digest = sha256(&manifest);
        self.push_manifest(repo, tag.unwrap_or(&digest), OCI_MANIFEST, &manifest);
        (digest, manifest)
    }

    /// A multi-arch image: one manifest per platform, then an index over them
    /// under `tag`. Returns the index digest.
    pub fn push_index(&self, repo: &str, tag: &str, content: &str, platforms: &[&str]) -> String {
        let mut entries = Vec::new();
        for p in platforms {
            let (digest, bytes) = self.push_image(repo, None, &format!("{content} {p}"), p);
            let (os, arch) = p.split_once('/').unwrap();
            entries.push(json!({
                "mediaType": OCI_MANIFEST,
                "digest": digest,
                "size": bytes.len(),
                "platform": {"os": os, "architecture": arch}
            }));
        }
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": entries
        }))
        .unwrap();
        self.push_manifest(repo, tag, OCI_INDEX, &index)
    }

    /// The digest a tag answers with, or `None` when it does not exist.
    pub fn digest(&self, repo: &str, tag: &str) -> Option<String> {
        let r = self
            .request(
                "GET",
                &format!("/v2/{repo}/manifests/{tag}"),
                &[("Accept", &format!("{OCI_MANIFEST}, {OCI_INDEX}"))],
                &[],
            )
            .expect("GET manifest");
        match r.status {
            200 => r.header("docker-content-digest").map(str::to_string),
            404 => None,
            s => panic!("GET manifest {repo}:{tag}: {s}"),
        }
    }

    /// The manifest body under a tag.
    pub fn manifest(&self, repo: &str, tag: &str) -> Value {
        let r = self.must(
            "GET",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Accept", &format!("{OCI_MANIFEST}, {OCI_INDEX}"))],
            &[],
            200,
        );
        serde_json::from_slice(&r.body).unwrap()
    }

    /// Tags of a repository, sorted (the registry returns them unsorted).
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let r = self
            .request("GET", &format!("/v2/{repo}/tags/list"), &[], &[])
            .unwrap();
        if r.status == 404 {
            return Vec::new();
        }
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        let mut tags: Vec<String> = v["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| Path::new(p).is_file())
}

fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw.get(split + 4..).unwrap_or_default().to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..end])
                .split(';')
                .next()
                .unwrap_or("0")
                .trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = data.get(start + size + 2..).unwrap_or_default();
    }
    out
}
