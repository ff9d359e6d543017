//! The workshop page in a real headless Chromium, driven over WebDriver
//! (Debian's `chromium` and `chromium-driver`): load the page, move a
//! slider with the keyboard as a person would, and check that the headline
//! and the chart change; save a screenshot. `.ci/run` installs Chromium; the
//! test is skipped, loudly, only when it cannot be found.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/lib/chromium")]) {
        for name in names {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

struct Driver {
    child: Child,
    base: String,
    session: Option<String>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = &self.session {
            let _ = ureq::delete(&format!("{}/session/{id}", self.base)).call();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session.as_deref().unwrap_or(""));
        let request = ureq::request(method, &url).timeout(Duration::from_secs(60));
        let response = match body {
            Some(b) => request.send_json(b),
            None => request.call(),
        };
        match response {
            Ok(r) => r.into_json::<Value>().unwrap()["value"].clone(),
            Err(ureq::Error::Status(code, r)) => panic!(
                "WebDriver {method} {path}: {code} {}",
                r.into_string().unwrap_or_default()
            ),
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    /// The WebDriver id of the element that CSS `selector` finds.
    fn element(&self, selector: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": selector})),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element for {selector}: {found}"))
            .to_string()
    }

    fn script(&self, code: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": code, "args": []})))
    }

    /// Polls `code` until it returns something truthy (or fails after `limit`).
    fn wait_for(&self, code: &str, limit: Duration, what: &str) -> Value {
        let start = Instant::now();
        loop {
            let v = self.script(code);
            if !(v.is_null() || v == json!(false) || v == json!("")) {
                return v;
            }
            assert!(start.elapsed() < limit, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn moving_a_slider_updates_the_headline_and_the_chart() {
    let (Some(chromium), Some(chromedriver)) = (find(&["chromium", "chromium-browser"]), find(&["chromedriver"]))
    else {
        eprintln!(
            "\n**********************************************************************\n\
             SKIPPED: the browser test needs Debian's chromium and chromium-driver\n\
             (apt-get install chromium chromium-driver; .ci/run does this).\n\
             **********************************************************************\n"
        );
        return;
    };
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/older-people.toml");
    let save_dir = tempfile::tempdir().unwrap();
    let mut app = upstream::serve::App::load(&example, Some(save_dir.path().to_path_buf())).unwrap();
    // As beyond loopback: the page must carry its access token to every request.
    let token = upstream::serve::App::new_token();
    app.token = Some(token.clone());
    let server = upstream::serve::start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap();
    let page = format!("http://127.0.0.1:{}/?token={token}", server.addr.port());

    let port = free_port();
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut driver = Driver {
        child,
        base: format!("http://127.0.0.1:{port}"),
        session: None,
    };
    let start = Instant::now();
    while ureq::get(&format!("{}/status", driver.base)).call().is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = tempfile::tempdir().unwrap();
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium.to_string_lossy(),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1920,1080",
                     format!("--user-data-dir={}", profile.path().display())]
        }
    }}});
    let session = ureq::post(&format!("{}/session", driver.base))
        .timeout(Duration::from_secs(60))
        .send_json(capabilities)
        .unwrap()
        .into_json::<Value>()
        .unwrap();
    driver.session = Some(session["value"]["sessionId"].as_str().unwrap().to_string());
    driver.call("POST", "/url", Some(json!({"url": page})));

    // The first run has rendered: the headline and a chart are there.
    let limit = Duration::from_secs(30);
    driver.wait_for(
        "return document.getElementById('status').dataset.seq",
        limit,
        "the first run",
    );
    let npv = "return document.querySelector('#headline tbody tr td:nth-child(2)').textContent";
    let chart = "return document.querySelector('#chart svg').outerHTML.length + ':' + document.querySelector('#chart svg').outerHTML.slice(-4000)";
    let before_npv = driver.script(npv);
    let before_chart = driver.script(chart);
    let seq = driver.script("return document.getElementById('status').dataset.seq");
    assert_eq!(
        before_npv,
        json!("£3.4m"),
        "falls-and-reablement's NPV as in the README"
    );

    // Move the falls-prevention reach slider of the first scenario with the keyboard.
    let element = driver.element(".card[data-scenario='0'] input[data-path='intervention.Falls prevention.reach']");
    driver.call("POST", &format!("/element/{element}/click"), Some(json!({})));
    let right = "\u{E014}".repeat(15);
    driver.call(
        "POST",
        &format!("/element/{element}/value"),
        Some(json!({"text": right})),
    );
    let moved = driver.script(
        "return document.querySelector(\".card[data-scenario='0'] input[data-path='intervention.Falls prevention.reach']\").value",
    );
    assert_ne!(moved, json!("0.25"), "the slider moved");

    driver.wait_for(
        &format!("const s = document.getElementById('status'); return s.dataset.seq !== '{}' && s.textContent.startsWith('Up to date')", seq.as_str().unwrap()),
        limit,
        "the re-run after the slider moved",
    );
    // The last answer is the one for the slider's final position.
    std::thread::sleep(Duration::from_millis(300));
    driver.wait_for(
        "return document.getElementById('status').textContent.startsWith('Up to date')",
        limit,
        "settling",
    );
    let after_npv = driver.script(npv);
    let after_chart = driver.script(chart);
    assert_ne!(after_npv, before_npv, "the headline NPV changed");
    assert_ne!(after_chart, before_chart, "the chart changed");
    let ms = driver.script("return document.getElementById('status').dataset.ms");
    eprintln!("slider moved to reach {moved}; NPV {before_npv} -> {after_npv}; page re-run in {ms} ms (1000 draws)");

    let png = driver.call("GET", "/screenshot", None);
    let bytes = base64_decode(png.as_str().unwrap());
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("workshop.png");
    std::fs::write(&shot, &bytes).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG screenshot");
    eprintln!("screenshot: {}", shot.display());

    // The maturity tab: the room ticks a unit's basic criterion and sees its level.
    driver.script("document.querySelector(\"#tabs button[data-id='maturity']\").click(); return 1");
    let level = "return [...document.querySelectorAll('#maturity .unit')].find(u => u.textContent.startsWith('2 Commissioning')).querySelector('.unit-level').textContent";
    assert_eq!(driver.script(level), json!("not yet basic"));
    let tick = driver.element("#maturity input[data-code='2a']");
    driver.call("POST", &format!("/element/{tick}/click"), Some(json!({})));
    assert_eq!(
        driver.script(level),
        json!("Basic"),
        "ticking 2a reaches the basic level"
    );
    let png = driver.call("GET", "/screenshot", None);
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("maturity-tab.png");
    std::fs::write(&shot, base64_decode(png.as_str().unwrap())).unwrap();
    eprintln!("screenshot: {}", shot.display());
    drop(driver);
    server.stop().unwrap();
}

/// Standard base64 (the screenshot), without a crate for one call.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0);
    for c in text.bytes().filter_map(value) {
        buffer = (buffer << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    out
}
