//! The workshop server over HTTP, on an ephemeral loopback port: the API's
//! answers equal the model's own, bad and hostile requests get clear 4xx
//! answers, concurrent tabs do not disturb each other, and "save as" writes
//! a file that reproduces the page, never over an existing one unasked and
//! never outside its folder.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use upstream::serve::{App, Running, start};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/older-people.toml")
}

fn server(file: &Path, save_dir: Option<PathBuf>) -> Running {
    let app = App::load(file, save_dir).unwrap();
    start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap()
}

fn url(s: &Running, path: &str) -> String {
    format!("http://{}{path}", s.addr)
}

/// (status, JSON body) of a POST.
fn post(s: &Running, path: &str, body: &Value) -> (u16, Value) {
    match ureq::post(&url(s, path)).send_json(body.clone()) {
        Ok(r) => (r.status(), r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (code, r.into_json().unwrap_or(Value::Null)),
        Err(e) => panic!("{e}"),
    }
}

/// A raw request, for headers the client would not send; returns the status line.
fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or("").to_string()
}

/// A raw request whose body is cut short: the client closes its side.
fn raw_then_close(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.lines().next().unwrap_or("").to_string()
}

/// The page's starting state, as it would send it.
fn page_state(s: &Running, draws: u32) -> Value {
    let info: Value = ureq::get(&url(s, "/api/model")).call().unwrap().into_json().unwrap();
    let scenarios: Vec<Value> = info["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|sc| {
            json!({"name": sc["name"], "title": sc["title"], "description": sc["description"], "from": sc["from"],
                   "interventions": sc["interventions"], "values": sc["values"], "fixed": sc["fixed"]})
        })
        .collect();
    json!({"draws": draws, "scenarios": scenarios})
}

fn npv_of(answer: &Value, scenario: &str) -> f64 {
    answer["npv"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == scenario)
        .unwrap()[1]
        .as_f64()
        .unwrap()
}

/// The file's own NPVs, run directly.
fn file_npvs(file: &Path) -> Vec<(String, f64)> {
    let model = upstream::scenario::load(file).unwrap().model;
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let (_, comparisons) = upstream::results::account_futures(&futures);
    comparisons.into_iter().map(|c| (c.scenario, c.total.npv)).collect()
}

#[test]
fn the_page_and_the_model_are_served() {
    let s = server(&example(), None);
    let page = ureq::get(&url(&s, "/")).call().unwrap();
    assert_eq!(page.content_type(), "text/html");
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = page.into_string().unwrap();
    assert!(
        html.contains("<script>") && !html.contains("src=\"http"),
        "all assets inline"
    );
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    assert_eq!(info["scenarios"].as_array().unwrap().len(), 6);
    let falls = &info["interventions"][0];
    assert_eq!(falls["name"], "Falls prevention");
    let paths: Vec<&str> = falls["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    for p in [
        "reach",
        "cost_per_participant",
        "start_year",
        "ramp_years",
        "relative_risk.At risk.Substantial",
    ] {
        assert!(
            paths.contains(&format!("intervention.Falls prevention.{p}").as_str()),
            "{p}"
        );
    }
    let (code, _) = post(&s, "/api/nothing", &json!({}));
    assert_eq!(code, 404);
}

#[test]
fn a_rerun_equals_the_model_and_follows_the_sliders() {
    let s = server(&example(), None);
    let state = page_state(&s, 0);
    let (code, answer) = post(&s, "/api/run", &state);
    assert_eq!(code, 200, "{answer}");
    for (name, npv) in file_npvs(&example()) {
        assert_eq!(npv_of(&answer, &name), npv, "{name}");
    }
    // Six charts, the pathway map of the interventions switched on and
    // the map of the system (the first scenario against do-nothing).
    assert_eq!(answer["charts"].as_array().unwrap().len(), 8);
    assert_eq!(answer["charts"][6]["id"], "pathway-map");
    assert_eq!(answer["charts"][7]["id"], "system-map");
    let map = answer["charts"][7]["svg"].as_str().unwrap();
    assert!(
        map.contains("Falls and reablement against do-nothing") && map.contains("2039"),
        "{map}"
    );
    assert!(answer["charts"][3]["svg"].as_str().unwrap().starts_with("<svg"));
    assert!(
        answer["headline_html"]
            .as_str()
            .unwrap()
            .contains("Falls and reablement"),
        "the headline calls scenarios by their titles"
    );

    // More reach for falls prevention changes that scenario, and only that one.
    let mut moved = state.clone();
    moved["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(0.6);
    let (code, after) = post(&s, "/api/run", &moved);
    assert_eq!(code, 200);
    assert_ne!(
        npv_of(&after, "falls-and-reablement"),
        npv_of(&answer, "falls-and-reablement")
    );
    assert_eq!(npv_of(&after, "popp-cautious"), npv_of(&answer, "popp-cautious"));

    // Switching an intervention off, and a copy of a scenario.
    let mut copy = state.clone();
    let mut what_if = copy["scenarios"][0].clone();
    what_if["name"] = json!("falls-and-reablement (what if 2)");
    what_if["interventions"] = json!(["Reablement expansion"]);
    copy["scenarios"].as_array_mut().unwrap().push(what_if);
    let (code, answer) = post(&s, "/api/run", &copy);
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["npv"].as_array().unwrap().len(), 7);

    // With draws: the same scenarios, and the headline gains the ranges.
    let (code, answer) = post(&s, "/api/run", &page_state(&s, 200));
    assert_eq!(code, 200);
    assert!(answer["headline_html"].as_str().unwrap().contains("NPV P5–P95"));
}

#[test]
fn bad_input_from_the_page_gets_a_message_not_a_crash() {
    let s = server(&example(), None);
    let state = page_state(&s, 0);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = state.clone();
        f(&mut v);
        post(&s, "/api/run", &v)
    };
    let (code, a) = with(&|v| v["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(1.5));
    assert_eq!(code, 422);
    assert!(a["error"].as_str().unwrap().contains("falls-and-reablement"), "{a}");
    assert!(a["error"].as_str().unwrap().contains("reach"), "{a}");
    let (code, a) = with(&|v| v["scenarios"][0]["interventions"] = json!(["Nothing"]));
    assert_eq!((code, a["error"].as_str().unwrap().contains("Nothing")), (422, true));
    let (code, _) = with(&|v| v["scenarios"][1]["name"] = v["scenarios"][0]["name"].clone());
    assert_eq!(code, 422);
    let (code, _) = with(&|v| v["scenarios"][0]["name"] = json!("do-nothing"));
    assert_eq!(code, 422);
    let (code, _) = with(&|v| v["draws"] = json!(1_000_000));
    assert_eq!(code, 422);
    let (code, _) = with(&|v| v["scenarios"][0]["values"]["intervention.Falls prevention.start_year"] = json!(2025.5));
    assert_eq!(code, 422);
    let (code, a) = with(&|v| v["scenarios"][0]["values"]["no.such.path"] = json!(1));
    assert_eq!(code, 422, "{a}");
    // Malformed or foreign requests.
    let (code, a) = with(&|v| v["extra"] = json!(1));
    assert_eq!(code, 400, "{a}");
    let r = ureq::post(&url(&s, "/api/run"))
        .set("Content-Type", "application/json")
        .send_string("{not json");
    assert!(matches!(r, Err(ureq::Error::Status(400, _))));
    let big = "x".repeat(upstream::serve::BODY_LIMIT + 10);
    let r = ureq::post(&url(&s, "/api/run")).send_string(&big);
    assert!(matches!(r, Err(ureq::Error::Status(413, _))));
    // The server still answers properly afterwards.
    assert_eq!(post(&s, "/api/run", &state).0, 200);
}

#[test]
fn requests_for_other_hosts_or_from_other_sites_are_refused() {
    let s = server(&example(), None);
    let port = s.addr.port();
    assert!(
        raw(
            s.addr,
            &format!("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")
        )
        .contains("200")
    );
    assert!(
        raw(
            s.addr,
            &format!("GET /api/model HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n")
        )
        .contains("200")
    );
    assert!(
        raw(
            s.addr,
            "GET /api/model HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n"
        )
        .contains("403")
    );
    assert!(raw(s.addr, "GET / HTTP/1.0\r\n\r\n").contains("403"), "no Host header");
    let state = page_state(&s, 0).to_string();
    let post_from = |origin: &str| {
        raw(
            s.addr,
            &format!(
                "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{state}",
                state.len()
            ),
        )
    };
    assert!(post_from("http://evil.example").contains("403"));
    assert!(post_from(&format!("http://127.0.0.1:{port}")).contains("200"));
    // Garbage is answered, and the server goes on.
    let garbage = raw(s.addr, "\x16\x03\x01 not http at all\r\n\r\n");
    assert!(garbage.is_empty() || garbage.contains("400"), "{garbage:?}");
    assert_eq!(ureq::get(&url(&s, "/api/model")).call().unwrap().status(), 200);
}

#[test]
fn concurrent_tabs_get_their_own_answers() {
    let s = server(&example(), None);
    let state = page_state(&s, 0);
    let reaches = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
    let expected: Vec<f64> = reaches
        .iter()
        .map(|&r| {
            let mut v = state.clone();
            v["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(r);
            npv_of(&post(&s, "/api/run", &v).1, "falls-and-reablement")
        })
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|k| {
                let (state, s) = (&state, &s);
                scope.spawn(move || {
                    let i = k % reaches.len();
                    let mut v = state.clone();
                    v["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(reaches[i]);
                    let (code, answer) = post(s, "/api/run", &v);
                    assert_eq!(code, 200);
                    (i, npv_of(&answer, "falls-and-reablement"))
                })
            })
            .collect();
        for h in handles {
            let (i, npv) = h.join().unwrap();
            assert_eq!(
                npv, expected[i],
                "tab with reach {} got another tab's answer",
                reaches[i]
            );
        }
    });
}

#[test]
fn save_as_writes_a_file_that_reproduces_the_page() {
    // The example copied into a folder of its own, saving beside it.
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("older-people") {
            std::fs::copy(&p, tmp.path().join(&name)).unwrap();
        }
    }
    let file = tmp.path().join("older-people.toml");
    let original = std::fs::read(&file).unwrap();
    let s = server(&file, None);
    let mut state = page_state(&s, 0);
    state["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(0.45);
    state["scenarios"][0]["values"]["intervention.Falls prevention.start_year"] = json!(2027);
    state["scenarios"][2]["interventions"] = json!([]);
    let (_, shown) = post(&s, "/api/run", &state);

    let mut save = state.clone();
    save["file"] = json!("workshop.toml");
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 200, "{answer}");
    let saved = tmp.path().join("workshop.toml");
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(text.contains("Band totals each year"), "the file's comments are kept");
    for (name, npv) in file_npvs(&saved) {
        let page = npv_of(&shown, &name);
        assert!(
            (npv - page).abs() <= 1e-9 * page.abs().max(1.0),
            "{name}: file {npv}, page {page}"
        );
    }
    // Not over an existing file unasked; yes when asked.
    let before = std::fs::read(&saved).unwrap();
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 409, "{answer}");
    assert_eq!(std::fs::read(&saved).unwrap(), before);
    save["overwrite"] = json!(true);
    assert_eq!(post(&s, "/api/save", &save).0, 200);
    // Never outside the folder, whatever the name.
    for name in [
        "../escape.toml",
        "/tmp/escape.toml",
        "sub/escape.toml",
        ".hidden.toml",
        "x.txt",
    ] {
        save["file"] = json!(name);
        let (code, answer) = post(&s, "/api/save", &save);
        assert_eq!(code, 400, "{name}: {answer}");
    }
    assert!(!tmp.path().parent().unwrap().join("escape.toml").exists());
    // An invalid page state is not saved.
    save["file"] = json!("broken.toml");
    save["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(7);
    assert_eq!(post(&s, "/api/save", &save).0, 422);
    assert!(!tmp.path().join("broken.toml").exists());
    // The original is untouched, and no temporary files are left.
    assert_eq!(std::fs::read(&file).unwrap(), original);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn save_into_another_folder_keeps_the_tables_reachable() {
    let out = tempfile::tempdir().unwrap();
    let s = server(&example(), Some(out.path().to_path_buf()));
    let mut save = page_state(&s, 0);
    save["file"] = json!("elsewhere.toml");
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 200, "{answer}");
    let saved = out.path().join("elsewhere.toml");
    for ((a, x), (b, y)) in file_npvs(&saved).into_iter().zip(file_npvs(&example())) {
        assert_eq!(a, b);
        assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0));
    }
}

/// A few thousand requests from several threads on loopback, valid and
/// garbage mixed, bounded in count and time: every answer is a proper
/// status, and the server answers correctly afterwards.
#[test]
fn the_server_survives_a_burst_of_good_and_bad_requests() {
    let s = server(&example(), None);
    let good = page_state(&s, 0);
    let (_, reference) = post(&s, "/api/run", &good);
    let expected = npv_of(&reference, "falls-and-reablement");
    let port = s.addr.port();
    let started = std::time::Instant::now();
    let counts: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let (s, good) = (&s, &good);
                scope.spawn(move || {
                    let (mut answered, mut server_errors) = (0, 0);
                    for i in 0..400 {
                        if started.elapsed() > std::time::Duration::from_secs(120) {
                            break;
                        }
                        let line = match (t + i) % 8 {
                            0 => raw(s.addr, &format!("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")),
                            1 => raw_then_close(s.addr, "GARBAGE \u{0}\u{1}\u{2}\r\n\r\n"),
                            2 => raw(s.addr, &format!("POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{{{{{{{{{{")),
                            3 => raw(s.addr, &format!("GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n")),
                            4 => raw(s.addr, &format!("POST /api/save HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{{\"file\":\"../x.toml\",\"draws\":0,\"scenarios\":[]}}")),
                            5 => raw(s.addr, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"),
                            6 => raw_then_close(s.addr, &format!("POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n{{\"draws\"")),
                            _ => {
                                if i % 5 == 0 {
                                    let (code, answer) = post(s, "/api/run", good);
                                    assert_eq!(code, 200);
                                    assert_eq!(npv_of(&answer, "falls-and-reablement"), expected);
                                    "HTTP/1.1 200 OK".to_string()
                                } else {
                                    raw(s.addr, &format!("GET /nothing HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"))
                                }
                            }
                        };
                        if line.starts_with("HTTP/1.1 5") {
                            server_errors += 1;
                        }
                        answered += 1;
                    }
                    (answered, server_errors)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let total: usize = counts.iter().map(|c| c.0).sum();
    let errors: usize = counts.iter().map(|c| c.1).sum();
    assert!(total >= 1000, "only {total} requests in the time allowed");
    assert_eq!(errors, 0, "server errors under load");
    // Still answering, and correctly.
    let (code, answer) = post(&s, "/api/run", &good);
    assert_eq!(code, 200);
    assert_eq!(npv_of(&answer, "falls-and-reablement"), expected);
    eprintln!(
        "{total} requests from 8 threads in {:.1} s, no server errors",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn the_maturity_tab_rates_together_and_saves_an_assessment() {
    let ey = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/early-years.toml");
    let dir = tempfile::tempdir().unwrap();
    let s = server(&ey, Some(dir.path().to_path_buf()));
    let info: Value = ureq::get(&url(&s, "/api/maturity"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(info["units"].as_array().unwrap().len(), 17);
    assert_eq!(info["levels"].as_array().unwrap().len(), 4);
    // The page starts from the file's current assessment (2026).
    assert_eq!(info["current"]["date"], "2026-11-19");
    let mut assessment = info["current"].clone();
    assessment["date"] = json!("2026-12-01");
    assessment["ticked"] = json!(["1.1a", "2a", "7.2a", "7.2b"]);
    let body = json!({ "file": "room.toml", "assessment": assessment });
    let (code, answer) = post(&s, "/api/maturity/save", &body);
    assert_eq!(code, 200, "{answer}");
    let matrix = upstream::maturity::Matrix::default();
    let saved = upstream::maturity::Assessment::load(&dir.path().join("room.toml"), &matrix).unwrap();
    assert_eq!(saved.ticked, ["1.1a", "2a", "7.2a", "7.2b"]);
    assert_eq!(saved.level(&matrix, "7.2"), 2);
    // Not over an existing file unasked; not an unknown criterion; not a path.
    let (code, _) = post(&s, "/api/maturity/save", &body);
    assert_eq!(code, 409);
    let mut bad = body.clone();
    bad["file"] = json!("other.toml");
    bad["assessment"]["ticked"] = json!(["7.2q"]);
    let (code, answer) = post(&s, "/api/maturity/save", &bad);
    assert_eq!(code, 422);
    assert!(answer["error"].as_str().unwrap().contains("`7.2q` is not a criterion"));
    let mut escape = body.clone();
    escape["file"] = json!("../room.toml");
    assert_eq!(post(&s, "/api/maturity/save", &escape).0, 400);
    // The page carries the tab.
    let page = ureq::get(&url(&s, "/")).call().unwrap().into_string().unwrap();
    assert!(page.contains("/api/maturity") && page.contains("\"maturity\": \"Maturity\""));
}

/// The older-people example and its tables, copied into `dir`.
fn copy_example(dir: &Path) {
    for name in [
        "older-people.toml",
        "older-people-admissions.csv",
        "older-people-projection.csv",
        "older-people-residential.csv",
    ] {
        std::fs::copy(example().with_file_name(name), dir.join(name)).unwrap();
    }
}

/// Status line and body of a raw request.
fn raw_answer(addr: SocketAddr, request: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.lines().next().unwrap_or("").to_string();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

/// A POST of a JSON body with the given Host, and optionally Origin and token.
fn post_as(
    addr: SocketAddr,
    path: &str,
    host: &str,
    origin: Option<&str>,
    token: Option<&str>,
    body: &str,
) -> (String, String) {
    let mut headers = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n");
    if let Some(o) = origin {
        headers += &format!("Origin: {o}\r\n");
    }
    if let Some(t) = token {
        headers += &format!("X-Upstream-Token: {t}\r\n");
    }
    raw_answer(
        addr,
        &format!(
            "{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// The maturity save looks at nothing before the name is checked: device
/// files, pipes, files elsewhere on the machine and missing files all get
/// the same 400 at once, which says nothing about whether they exist; and
/// "overwrite" reads only a plain file in the save folder.
#[cfg(unix)]
#[test]
fn the_maturity_save_opens_no_path_from_the_request() {
    let ey = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/early-years.toml");
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let fifo = elsewhere.path().join("pipe.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let s = server(&ey, Some(dir.path().to_path_buf()));
    let info: Value = ureq::get(&url(&s, "/api/maturity"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let assessment = info["current"].clone();
    let mut answers = Vec::new();
    for file in [
        "/dev/zero".to_string(),
        "/etc/passwd".to_string(),
        fifo.display().to_string(),
        "/no/such/file.toml".to_string(),
        "../early-years.toml".to_string(),
    ] {
        let started = std::time::Instant::now();
        let body = json!({ "file": file, "overwrite": true, "assessment": assessment });
        let (code, answer) = post(&s, "/api/maturity/save", &body);
        assert_eq!(code, 400, "{file}: {answer}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{file} was opened"
        );
        // The same words whatever the file: only the name itself is echoed.
        answers.push(
            answer["error"]
                .as_str()
                .unwrap()
                .replace(&file.escape_debug().to_string(), "NAME"),
        );
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "{answers:?}");
    // In the save folder: a pipe, a link to a file elsewhere, a folder.
    let pipe = dir.path().join("pipe.toml");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&pipe)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link.toml")).unwrap();
    std::fs::create_dir(dir.path().join("folder.toml")).unwrap();
    for file in ["pipe.toml", "link.toml", "folder.toml"] {
        let started = std::time::Instant::now();
        let body = json!({ "file": file, "overwrite": true, "assessment": assessment });
        let (code, answer) = post(&s, "/api/maturity/save", &body);
        assert_eq!(code, 409, "{file}: {answer}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{file} was read");
    }
    assert!(
        std::fs::symlink_metadata(dir.path().join("link.toml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Listening on every interface, the server answers only to loopback names
/// and the names given, and a request without the access token is refused:
/// a page reached through DNS rebinding can neither read nor save.
#[test]
fn beyond_loopback_the_page_needs_its_token_and_a_given_host() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    let file = tmp.path().join("older-people.toml");
    let original = std::fs::read(&file).unwrap();
    let mut app = App::load(&file, None).unwrap();
    let token = App::new_token();
    assert_eq!(token.len(), 32);
    assert_ne!(token, App::new_token());
    app.token = Some(token.clone());
    let s = start(
        app,
        "0.0.0.0:0".parse().unwrap(),
        &["workshop-pc.local".to_string()],
        false,
    )
    .unwrap();
    let port = s.addr.port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let get = |host: &str, target: &str, token: Option<&str>| {
        let header = token.map_or(String::new(), |t| format!("X-Upstream-Token: {t}\r\n"));
        raw_answer(
            addr,
            &format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n{header}Connection: close\r\n\r\n"),
        )
        .0
    };
    let local = format!("127.0.0.1:{port}");
    let given = format!("workshop-pc.local:{port}");
    let rebound = format!("attacker.example:{port}");
    // The page needs the token in its address, the API in its header.
    assert!(get(&local, "/", None).contains("401"));
    assert!(get(&local, &format!("/?token={token}"), None).contains("200"));
    assert!(get(&given, &format!("/?token={token}"), None).contains("200"));
    assert!(get(&local, "/api/model", None).contains("401"));
    assert!(get(&local, "/api/model", Some("0123456789abcdef0123456789abcdef")).contains("401"));
    assert!(get(&local, "/api/model", Some(&token)).contains("200"));
    // Any other host is refused, token or not.
    assert!(get(&rebound, "/api/model", Some(&token)).contains("403"));
    assert!(get(&rebound, &format!("/?token={token}"), None).contains("403"));
    // A rebound save over the original file: refused, and the file is as it was.
    let body = json!({"file": "older-people.toml", "overwrite": true, "draws": 0, "scenarios": []}).to_string();
    let origin = format!("http://{rebound}");
    let (status, _) = post_as(addr, "/api/save", &rebound, Some(&origin), None, &body);
    assert!(status.contains("403"), "{status}");
    let (status, _) = post_as(addr, "/api/save", &local, None, None, &body);
    assert!(status.contains("401"), "{status}");
    // With the token, still not over the original without --overwrite-original.
    let (status, answer) = post_as(addr, "/api/save", &local, None, Some(&token), &body);
    assert!(status.contains("403"), "{status} {answer}");
    assert!(answer.contains("--overwrite-original"), "{answer}");
    assert_eq!(std::fs::read(&file).unwrap(), original);
    // A new name saves.
    let body = json!({"file": "room.toml", "draws": 0, "scenarios": []}).to_string();
    let (status, answer) = post_as(addr, "/api/save", &local, None, Some(&token), &body);
    assert!(status.contains("200"), "{status} {answer}");
}

/// On loopback too, "Save as" replaces the scenario file (or another input
/// file) only when the server was started with --overwrite-original.
#[test]
fn saving_over_the_original_needs_the_flag_given_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    let file = tmp.path().join("older-people.toml");
    let original = std::fs::read(&file).unwrap();
    let s = server(&file, None);
    let mut save = page_state(&s, 0);
    save["file"] = json!("older-people.toml");
    save["overwrite"] = json!(true);
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 403, "{answer}");
    assert_eq!(std::fs::read(&file).unwrap(), original);
    drop(s);
    let mut app = App::load(&file, None).unwrap();
    app.overwrite_original = true;
    let s = start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap();
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 200, "{answer}");
    assert_ne!(std::fs::read(&file).unwrap(), original);
}

/// The page's run sizes its memory by the rows the page reads: the count
/// worked out from the model's dimensions is the count a run keeps.
#[test]
fn a_run_is_sized_by_the_rows_the_page_reads() {
    for file in ["older-people.toml", "early-years.toml"] {
        let model = upstream::scenario::load(&example().with_file_name(file)).unwrap().model;
        let futures = upstream::run::run_futures(&model, &[]).unwrap();
        let (accounts, comparisons) = upstream::results::account_futures(&futures);
        let mut read = 0;
        upstream::results::rows::visit_summary(&model, &accounts, &comparisons, &mut |_, _, name, _| {
            read += usize::from(upstream::charts::Figures::reads(&name()));
        });
        assert_eq!(
            upstream::charts::Figures::rows_read(&model, model.scenarios.len()),
            read,
            "{file}"
        );
    }
}

/// (status, Retry-After, JSON body) of a run posted to `addr`.
fn post_run(addr: SocketAddr, body: &Value) -> (u16, Option<String>, Value) {
    match ureq::post(&format!("http://{addr}/api/run")).send_json(body.clone()) {
        Ok(r) => (r.status(), None, r.into_json().unwrap()),
        Err(ureq::Error::Status(code, r)) => (
            code,
            r.header("retry-after").map(str::to_string),
            r.into_json().unwrap_or(Value::Null),
        ),
        Err(e) => panic!("{e}"),
    }
}

/// With one run at a time and one waiting, runs posted together are run
/// in turn or turned away with 503 and `Retry-After`, never all run at
/// once; the runs admitted answer as a run on its own does, and once they
/// are done the server runs again.
#[test]
fn runs_beyond_the_running_and_waiting_limits_are_turned_away() {
    let mut app = App::load(&example(), None).unwrap();
    app.limits.runs = 1;
    app.limits.queued_runs = 1;
    let s = start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap();
    let state = page_state(&s, 20_000);
    // One running and one waiting: two together always both run.
    let pair: Vec<(u16, Option<String>, Value)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..2).map(|_| scope.spawn(|| post_run(s.addr, &state))).collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert!(
        pair.iter().all(|(code, _, _)| *code == 200),
        "{:?}",
        pair.iter().map(|p| p.0).collect::<Vec<_>>()
    );
    let expected = npv_of(&pair[0].2, "falls-and-reablement");
    // Six together: each run takes far longer than posting them all.
    let barrier = std::sync::Barrier::new(6);
    let answers: Vec<(u16, Option<String>, Value)> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    post_run(s.addr, &state)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let codes: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert!(codes.iter().all(|c| [200, 503].contains(c)), "{codes:?}");
    assert!(codes.contains(&200) && codes.contains(&503), "{codes:?}");
    for (code, retry_after, answer) in &answers {
        if *code == 200 {
            assert_eq!(npv_of(answer, "falls-and-reablement"), expected);
        } else {
            assert_eq!(retry_after.as_deref(), Some("5"));
            assert!(answer["error"].as_str().unwrap().contains("busy"), "{answer}");
        }
    }
    let (code, _, answer) = post_run(s.addr, &state);
    assert_eq!(code, 200, "{answer}");
    assert_eq!(npv_of(&answer, "falls-and-reablement"), expected);
}

/// A run whose memory estimate is more than the server's whole budget for
/// runs is refused before any work, with the draws that would fit; those
/// draws run.
#[test]
fn a_run_larger_than_the_memory_budget_is_refused_with_the_draws_that_fit() {
    let mut app = App::load(&example(), None).unwrap();
    app.limits.run_memory = 64 * 1024 * 1024;
    let s = start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap();
    let (code, _, answer) = post_run(s.addr, &page_state(&s, 20_000));
    assert_eq!(code, 422, "{answer}");
    let message = answer["error"].as_str().unwrap();
    assert!(
        message.contains("more than this server allows for runs (64 MiB)"),
        "{message}"
    );
    let fits: u32 = message
        .split("at most ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{message}"));
    assert!(fits > 0 && fits < 20_000, "{message}");
    let (code, _, answer) = post_run(s.addr, &page_state(&s, fits));
    assert_eq!(code, 200, "{answer}");
    let (code, _, _) = post_run(s.addr, &page_state(&s, fits + 1));
    assert_eq!(code, 422);
}

/// A server with its connection limits set for a test.
fn server_with(limits: impl FnOnce(&mut upstream::serve::limits::Limits)) -> Running {
    let mut app = App::load(&example(), None).unwrap();
    limits(&mut app.limits);
    start(app, "127.0.0.1:0".parse().unwrap(), &[], false).unwrap()
}

/// A loopback connection that gives up reading after 10 s.
fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes the connection, or `None`
/// if it is still open when the read gives up.
fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Some(String::from_utf8_lossy(&answer).into_owned()),
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return None;
            }
            // Reset after the answer: what came before still counts.
            Err(_) => return Some(String::from_utf8_lossy(&answer).into_owned()),
        }
    }
}

/// One answer on a connection kept open: its status line and body.
fn one_answer(stream: &mut TcpStream) -> (String, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "closed mid-answer");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    (
        head.lines().next().unwrap().to_string(),
        String::from_utf8(body).unwrap(),
    )
}

/// A connection that sends half a header, or nothing, is closed after the
/// header timeout; one that has had its answer may wait longer (the idle
/// timeout) before its next request, and is answered again.
#[test]
fn a_header_that_does_not_arrive_in_time_closes_the_connection() {
    let s = server_with(|l| {
        l.header_timeout = std::time::Duration::from_millis(300);
        l.idle_timeout = std::time::Duration::from_secs(30);
    });
    let port = s.addr.port();
    let mut half = connect(s.addr);
    half.write_all(format!("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n").as_bytes())
        .unwrap();
    assert_eq!(until_closed(&mut half).as_deref(), Some(""), "a half header was kept");
    let mut silent = connect(s.addr);
    assert_eq!(
        until_closed(&mut silent).as_deref(),
        Some(""),
        "a silent connection was kept"
    );
    // Kept alive between requests for longer than the header timeout.
    let mut kept = connect(s.addr);
    let request = format!("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    kept.write_all(request.as_bytes()).unwrap();
    assert!(one_answer(&mut kept).0.contains("200"));
    std::thread::sleep(std::time::Duration::from_millis(900));
    kept.write_all(request.as_bytes()).unwrap();
    assert!(one_answer(&mut kept).0.contains("200"));
    // And closed once idle for the idle timeout.
    drop(s);
    let s = server_with(|l| l.idle_timeout = std::time::Duration::from_millis(300));
    let mut idle = connect(s.addr);
    let request = format!("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", s.addr.port());
    idle.write_all(request.as_bytes()).unwrap();
    assert!(one_answer(&mut idle).0.contains("200"));
    assert_eq!(
        until_closed(&mut idle).as_deref(),
        Some(""),
        "an idle connection was kept"
    );
}

/// A body that stalls, or trickles in slower than the body timeout allows,
/// is answered 408 and its connection closed; the server goes on.
#[test]
fn a_body_that_does_not_arrive_in_time_is_cut_off() {
    let s = server_with(|l| l.body_timeout = std::time::Duration::from_millis(300));
    let port = s.addr.port();
    let head = format!(
        "POST /api/run HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    );
    let mut stalled = connect(s.addr);
    stalled.write_all(format!("{head}{{\"draws\"").as_bytes()).unwrap();
    let answer = until_closed(&mut stalled).expect("a stalled body was kept");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 0.3 s"), "{answer}");
    // A byte every 50 ms: 5 s for the whole body.
    let mut trickle = connect(s.addr);
    trickle.write_all(head.as_bytes()).unwrap();
    let mut writer = trickle.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        for _ in 0..100 {
            if writer.write_all(b" ").is_err() {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        true
    });
    let answer = until_closed(&mut trickle).expect("a trickled body was kept");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let _ = sender.join();
    assert_eq!(post(&s, "/api/run", &page_state(&s, 0)).0, 200);
}

/// Beyond the cap, connections wait unanswered until one closes, by its
/// client or by its timeout; then they are answered.
#[test]
fn connections_beyond_the_cap_wait_for_a_place() {
    let s = server_with(|l| {
        l.connections = 2;
        l.header_timeout = std::time::Duration::from_secs(60);
    });
    let request = |s: &Running| {
        format!(
            "GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            s.addr.port()
        )
    };
    let held: Vec<TcpStream> = (0..2).map(|_| connect(s.addr)).collect();
    let mut third = connect(s.addr);
    third.write_all(request(&s).as_bytes()).unwrap();
    third
        .set_read_timeout(Some(std::time::Duration::from_millis(500)))
        .unwrap();
    assert_eq!(until_closed(&mut third), None, "answered beyond the cap");
    drop(held);
    third
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let answer = until_closed(&mut third).expect("not answered once a place was free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Idle connections filling the cap time out, and a request behind them
    // is answered.
    let s = server_with(|l| {
        l.connections = 2;
        l.header_timeout = std::time::Duration::from_millis(300);
    });
    let mut held: Vec<TcpStream> = (0..2).map(|_| connect(s.addr)).collect();
    let mut waiting = connect(s.addr);
    waiting.write_all(request(&s).as_bytes()).unwrap();
    let answer = until_closed(&mut waiting).expect("not answered once the idle ones timed out");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for h in &mut held {
        assert_eq!(until_closed(h).as_deref(), Some(""));
    }
}

/// Stopping the server closes connections waiting for a request at once,
/// whatever their timeouts.
#[test]
fn stopping_the_server_does_not_wait_for_idle_connections() {
    let s = server_with(|l| {
        l.header_timeout = std::time::Duration::from_secs(600);
        l.idle_timeout = std::time::Duration::from_secs(600);
    });
    let mut silent = connect(s.addr);
    let mut kept = connect(s.addr);
    let request = format!("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", s.addr.port());
    kept.write_all(request.as_bytes()).unwrap();
    assert!(one_answer(&mut kept).0.contains("200"));
    let (done, stopped) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(s.stop().is_ok()));
    assert_eq!(stopped.recv_timeout(std::time::Duration::from_secs(20)), Ok(true));
    assert_eq!(until_closed(&mut silent).as_deref(), Some(""));
    assert_eq!(until_closed(&mut kept).as_deref(), Some(""));
}

/// Each scenario's NPV in `area` of the file, run through the library.
fn area_npvs(file: &Path, area: &str) -> Vec<(String, f64)> {
    let model = upstream::scenario::load(file).unwrap().model;
    let run = upstream::pipeline::Run::new(&model, upstream::pipeline::Request::futures_only(Vec::new())).unwrap();
    let unit = run.unit(Some(area)).unwrap();
    let (_, comparisons) = run.unit_accounts(unit);
    comparisons.into_iter().map(|c| (c.scenario, c.total.npv)).collect()
}

#[test]
fn the_room_picks_an_area_or_a_roll_up_of_a_model_with_areas() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/three-areas.toml");
    let s = server(&file, None);
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    let labels: Vec<&str> = info["areas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a[0].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["N01", "S02", "E03", "West", "East", "all"]);
    let state = page_state(&s, 0);
    // Each area's figures are the file's in that area (E03 keeps its own
    // falls prevention reach, 0.35, though the page shows the file's 0.25).
    let mut by_area = Vec::new();
    for area in &labels {
        let mut asked = state.clone();
        asked["area"] = json!(area);
        let (code, answer) = post(&s, "/api/run", &asked);
        assert_eq!(code, 200, "{area}: {answer}");
        for (name, npv) in area_npvs(&file, area) {
            assert_eq!(npv_of(&answer, &name), npv, "{area} {name}");
        }
        by_area.push(npv_of(&answer, "falls-and-reablement"));
    }
    let (n, so, e, all) = (by_area[0], by_area[1], by_area[2], by_area[5]);
    assert!(
        (all - (n + so + e)).abs() <= 1e-9 * all.abs(),
        "{all} vs {n} + {so} + {e}"
    );
    assert!(n != so && so != e);
    // No area asked: the whole model.
    let (_, whole) = post(&s, "/api/run", &state);
    assert_eq!(npv_of(&whole, "falls-and-reablement"), all);
    // A slider moved on the page is set in every area, E03 included.
    let mut moved = state.clone();
    moved["scenarios"][0]["values"]["intervention.Falls prevention.reach"] = json!(0.6);
    moved["area"] = json!("E03");
    let (code, after) = post(&s, "/api/run", &moved);
    assert_eq!(code, 200, "{after}");
    assert_ne!(npv_of(&after, "falls-and-reablement"), e);
    // With draws: the headline gains the area's ranges.
    let mut drawn = page_state(&s, 200);
    drawn["area"] = json!("West");
    let (code, answer) = post(&s, "/api/run", &drawn);
    assert_eq!(code, 200, "{answer}");
    assert!(answer["headline_html"].as_str().unwrap().contains("NPV P5–P95"));
    // An area the file does not have is a clear 422.
    let mut unknown = state.clone();
    unknown["area"] = json!("Z99");
    let (code, answer) = post(&s, "/api/run", &unknown);
    assert_eq!(code, 422);
    assert!(answer.to_string().contains("there is no area `Z99`"), "{answer}");
}

fn capacity_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/capacity.toml")
}

const HOME_CARE: &str = "service.Home care.capacity";

/// The supply the page's answer gives `future`.
fn supply_of<'a>(answer: &'a Value, future: &str) -> &'a Value {
    answer["supply"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["future"] == future)
        .unwrap_or_else(|| panic!("no supply for {future}: {answer}"))
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// The headline's row for `name` (the text of its cells).
fn headline_row(answer: &Value, name: &str) -> String {
    let html = answer["headline_html"].as_str().unwrap();
    let table = &html[..html.find("</table>").unwrap()];
    table
        .split("<tr")
        .find(|row| row.contains(&format!("<strong>{name}</strong></td>")) || row.contains(&format!("<td>{name}</td>")))
        .unwrap_or_else(|| panic!("no headline row for {name}: {table}"))
        .to_string()
}

#[test]
fn a_capacity_gets_a_slider_and_the_headline_its_first_year_over() {
    let file = capacity_file();
    let s = server(&file, None);
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    // One slider, for Home care's capacity, from 0 to 3 × the file's
    // largest value (1,200 in 2030), starting at the file's 900.
    let services = info["services"].as_array().unwrap();
    assert_eq!(services.len(), 1, "{info}");
    assert_eq!(services[0]["name"], "Home care");
    let control = &services[0]["controls"][0];
    assert_eq!(control["path"], HOME_CARE);
    assert_eq!(control["kind"], "activity");
    assert_eq!(
        (control["min"].as_f64(), control["max"].as_f64()),
        (Some(0.0), Some(3600.0))
    );
    assert_eq!(control["step"].as_f64(), Some(10.0));
    assert!(
        control["hint"].as_str().unwrap().contains("holds in every year"),
        "{control}"
    );
    for scenario in info["scenarios"].as_array().unwrap() {
        assert_eq!(scenario["values"][HOME_CARE].as_f64(), Some(900.0), "{scenario}");
    }

    // As the file has it: the page's figures are the model's own.
    let state = page_state(&s, 0);
    let (code, answer) = post(&s, "/api/run", &state);
    assert_eq!(code, 200, "{answer}");
    let model = upstream::scenario::load(&file).unwrap().model;
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let (accounts, _) = upstream::results::account_futures(&futures);
    let home_care = model.service_index("Home care").unwrap();
    for a in &accounts {
        let first = a.supply.first_over_capacity(home_care).map(|t| a.years[t]);
        let page = supply_of(&answer, &a.scenario);
        assert_eq!(page["first_year"].as_i64(), first.map(i64::from), "{}", a.scenario);
        let served: Vec<f64> = (0..a.years.len())
            .map(|t| a.supply.figure(t, home_care, upstream::engine::Figure::Served))
            .collect();
        assert_eq!(numbers(&page["by_service"][0]["served"]), served, "{}", a.scenario);
    }
    assert_eq!(supply_of(&answer, "do-nothing")["first_year"], 2028);
    assert_eq!(supply_of(&answer, "coaching")["first_year"], 2028);
    assert_eq!(supply_of(&answer, "coaching")["services"], json!(["Home care"]));
    assert!(headline_row(&answer, "do-nothing").contains("2028 (Home care)"));
    assert!(headline_row(&answer, "coaching").contains("2028 (Home care)"));
    let html = answer["headline_html"].as_str().unwrap();
    assert!(html.contains("First year over capacity") && !html.contains("Chance over capacity"));
    let before = numbers(&supply_of(&answer, "coaching")["by_service"][0]["served"]);

    // Lowering coaching's capacity to 700 a year, below the first year's
    // demand (732): over capacity from the start, serving 700 every year.
    let mut lower = state.clone();
    lower["scenarios"][0]["values"][HOME_CARE] = json!(700);
    let (code, answer) = post(&s, "/api/run", &lower);
    assert_eq!(code, 200, "{answer}");
    let coaching = supply_of(&answer, "coaching");
    assert_eq!(coaching["first_year"], 2025);
    assert_eq!(numbers(&coaching["by_service"][0]["capacity"]), [700.0; 5]);
    let served = numbers(&coaching["by_service"][0]["served"]);
    for (t, (after, before)) in served.iter().zip(&before).enumerate() {
        assert!((after - 700.0).abs() < 1e-6, "year {t}: served {after}");
        assert!(after < before, "year {t}: served {after}, was {before}");
    }
    assert!(headline_row(&answer, "coaching").contains("2025 (Home care)"));
    // Do-nothing and the other scenario keep the file's capacity.
    assert_eq!(supply_of(&answer, "do-nothing")["first_year"], 2028);
    assert_eq!(supply_of(&answer, "coaching-cheap")["first_year"], 2028);

    // Raising it past every year's demand: not over capacity by the horizon.
    let mut higher = state.clone();
    higher["scenarios"][0]["values"][HOME_CARE] = json!(2000);
    let (_, answer) = post(&s, "/api/run", &higher);
    assert_eq!(supply_of(&answer, "coaching")["first_year"], Value::Null);
    assert!(headline_row(&answer, "coaching").contains("not by 2029"));

    // With draws: the chance of being over capacity by the last year (the
    // file's numbers are certain, so it is 0 or 1).
    let mut drawn = page_state(&s, 200);
    drawn["scenarios"][0]["values"][HOME_CARE] = json!(2000);
    let (code, answer) = post(&s, "/api/run", &drawn);
    assert_eq!(code, 200, "{answer}");
    assert!(
        answer["headline_html"]
            .as_str()
            .unwrap()
            .contains("Chance over capacity by 2029")
    );
    assert_eq!(
        supply_of(&answer, "do-nothing")["chance_by_horizon"].as_f64(),
        Some(1.0)
    );
    assert_eq!(supply_of(&answer, "coaching")["chance_by_horizon"].as_f64(), Some(0.0));
    assert!(headline_row(&answer, "do-nothing").contains("100%"));
    assert!(headline_row(&answer, "coaching").contains("0%"));

    // A capacity below zero gets the file's message.
    let mut negative = state.clone();
    negative["scenarios"][0]["values"][HOME_CARE] = json!(-5);
    let (code, answer) = post(&s, "/api/run", &negative);
    assert_eq!(code, 422);
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .contains("a capacity is -5; it must be ≥ 0"),
        "{answer}"
    );
}

#[test]
fn a_capacity_saved_from_the_page_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("capacity.toml");
    std::fs::copy(capacity_file(), &file).unwrap();
    let s = server(&file, None);
    let mut state = page_state(&s, 0);
    state["scenarios"][0]["values"][HOME_CARE] = json!(700);
    let (_, shown) = post(&s, "/api/run", &state);
    let mut save = state.clone();
    save["file"] = json!("workshop.toml");
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 200, "{answer}");
    let saved = upstream::scenario::load(&tmp.path().join("workshop.toml"))
        .unwrap()
        .model;
    let home_care = saved.service_index("Home care").unwrap();
    let capacity = |m: &upstream::model::Model| m.services[home_care].capacity.as_ref().unwrap().per_year.clone();
    let coaching = saved.scenarios.iter().find(|sc| sc.name == "coaching").unwrap();
    assert_eq!(capacity(&coaching.model), upstream::model::Series::constant(700.0));
    // The scenario left alone keeps the file's capacity by year.
    let cheap = saved.scenarios.iter().find(|sc| sc.name == "coaching-cheap").unwrap();
    assert_eq!(capacity(&cheap.model), capacity(&saved));
    assert!(!capacity(&saved).is_constant());
    for (name, npv) in file_npvs(&tmp.path().join("workshop.toml")) {
        assert_eq!(npv, npv_of(&shown, &name), "{name}");
    }
}

#[test]
fn a_model_without_capacities_has_no_capacity_slider_or_column() {
    let s = server(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/three-areas.toml"),
        None,
    );
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    assert_eq!(info["services"], json!([]));
    for scenario in info["scenarios"].as_array().unwrap() {
        let values = scenario["values"].as_object().unwrap();
        assert!(values.keys().all(|k| k.starts_with("intervention.")), "{values:?}");
    }
    for draws in [0, 200] {
        let (code, answer) = post(&s, "/api/run", &page_state(&s, draws));
        assert_eq!(code, 200, "{answer}");
        assert_eq!(answer["supply"], json!([]));
        let html = answer["headline_html"].as_str().unwrap();
        assert!(
            !html.contains("capacity") && !html.contains("<td>do-nothing</td>"),
            "{html}"
        );
    }
}

#[test]
fn a_capacity_moved_on_the_page_is_set_in_every_area() {
    // The three-areas example with a capacity for home care, in a folder
    // of its own.
    let tmp = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("three-areas") || name.starts_with("older-people") {
            std::fs::copy(&p, tmp.path().join(&name)).unwrap();
        }
    }
    let file = tmp.path().join("three-areas.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let home_care = "use = { Substantial = 10, Complex = 100 }\n";
    assert!(text.contains(home_care));
    std::fs::write(
        &file,
        text.replacen(home_care, &format!("{home_care}capacity = 400000\n"), 1),
    )
    .unwrap();
    let s = server(&file, None);
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    assert_eq!(info["services"][0]["controls"][0]["max"].as_f64(), Some(1_200_000.0));
    let mut state = page_state(&s, 0);
    let scenario = state["scenarios"][0]["name"].as_str().unwrap().to_string();
    state["scenarios"][0]["values"][HOME_CARE] = json!(1000);
    // Each area's capacity is the slider's, and the whole's their sum.
    for (area, each) in [("E03", 1000.0), ("West", 2000.0), ("all", 3000.0)] {
        let mut asked = state.clone();
        asked["area"] = json!(area);
        let (code, answer) = post(&s, "/api/run", &asked);
        assert_eq!(code, 200, "{area}: {answer}");
        let moved = &supply_of(&answer, &scenario)["by_service"][0];
        assert!(
            numbers(&moved["capacity"]).iter().all(|&c| c == each),
            "{area}: {moved}"
        );
        let served = numbers(&moved["served"]);
        assert!(served.iter().all(|&x| x <= each * (1.0 + 1e-9)), "{area}: {served:?}");
        assert_eq!(supply_of(&answer, &scenario)["first_year"], 2025, "{area}");
        let file_capacity = numbers(&supply_of(&answer, "do-nothing")["by_service"][0]["capacity"]);
        let areas = each / 1000.0;
        assert!(
            file_capacity.iter().all(|&c| c == 400_000.0 * areas),
            "{area}: {file_capacity:?}"
        );
    }
}

const CARE_HOME: &str = "places.Care home";

#[test]
fn places_get_a_slider_and_the_headline_its_first_year_full() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/places.toml");
    let s = server(&file, None);
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    // One places slider, for the care home, from 0 to 3 × the file's
    // largest value (320 from 2029), starting at the file's 300; no
    // capacity slider.
    assert_eq!(info["services"], json!([]), "{info}");
    let levels = info["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 1, "{info}");
    assert_eq!(levels[0]["name"], "Care home");
    let control = &levels[0]["controls"][0];
    assert_eq!(control["path"], CARE_HOME);
    assert_eq!(
        (control["min"].as_f64(), control["max"].as_f64()),
        (Some(0.0), Some(960.0))
    );
    assert!(
        control["hint"].as_str().unwrap().contains("places change by year"),
        "{control}"
    );
    for scenario in info["scenarios"].as_array().unwrap() {
        assert_eq!(scenario["values"][CARE_HOME].as_f64(), Some(300.0), "{scenario}");
    }

    // As the file has it: the page's first year full is the model's own.
    let state = page_state(&s, 0);
    let (code, answer) = post(&s, "/api/run", &state);
    assert_eq!(code, 200, "{answer}");
    let model = upstream::scenario::load(&file).unwrap().model;
    let futures = upstream::run::run_futures(&model, &[]).unwrap();
    let (accounts, _) = upstream::results::account_futures(&futures);
    for a in &accounts {
        let first = a.supply.first_full(0).map(|t| a.years[t]);
        assert!(first.is_some(), "{}: the fixture fills its care home", a.scenario);
        let page = supply_of(&answer, &a.scenario);
        assert_eq!(page["first_year_full"].as_i64(), first.map(i64::from), "{}", a.scenario);
        assert_eq!(page["levels_full"], json!(["Care home"]));
        let year = first.unwrap();
        assert!(
            headline_row(&answer, &a.scenario).contains(&format!("{year} (Care home)")),
            "{}",
            a.scenario
        );
    }
    let html = answer["headline_html"].as_str().unwrap();
    assert!(html.contains("First year full") && !html.contains("over capacity") && !html.contains("Chance full"));
    let file_waiting = numbers(&supply_of(&answer, "prevention")["by_level"][0]["waiting"]);

    // Raising the prevention scenario's places far past need: never full,
    // 900 places in every year; do-nothing keeps the file's.
    let mut higher = state.clone();
    higher["scenarios"][0]["values"][CARE_HOME] = json!(900);
    let (code, answer) = post(&s, "/api/run", &higher);
    assert_eq!(code, 200, "{answer}");
    let prevention = supply_of(&answer, "prevention");
    assert_eq!(prevention["first_year_full"], Value::Null);
    assert_eq!(numbers(&prevention["by_level"][0]["places"]), [900.0; 8]);
    assert!(headline_row(&answer, "prevention").contains("not by 2032"));
    assert_eq!(
        supply_of(&answer, "do-nothing")["by_level"][0]["places"][0].as_f64(),
        Some(300.0)
    );

    // Lowering them below the people already there: full from the start,
    // with more people waiting every year.
    let mut lower = state.clone();
    lower["scenarios"][0]["values"][CARE_HOME] = json!(200);
    let (_, answer) = post(&s, "/api/run", &lower);
    let prevention = supply_of(&answer, "prevention");
    assert_eq!(prevention["first_year_full"], 2025);
    for (t, (low, file)) in numbers(&prevention["by_level"][0]["waiting"])
        .iter()
        .zip(&file_waiting)
        .enumerate()
    {
        assert!(
            low > file,
            "year {t}: {low} waiting with 200 places, {file} with the file's"
        );
    }

    // With draws: the chance of being full by the last year.
    let (code, answer) = post(&s, "/api/run", &page_state(&s, 50));
    assert_eq!(code, 200, "{answer}");
    assert!(
        answer["headline_html"]
            .as_str()
            .unwrap()
            .contains("Chance full by 2032")
    );
    assert_eq!(
        supply_of(&answer, "do-nothing")["chance_full_by_horizon"].as_f64(),
        Some(1.0)
    );
    assert!(headline_row(&answer, "do-nothing").contains("100%"));

    // Places below zero get the file's message.
    let mut negative = state.clone();
    negative["scenarios"][0]["values"][CARE_HOME] = json!(-1);
    let (code, answer) = post(&s, "/api/run", &negative);
    assert_eq!(code, 422, "{answer}");
}

/// A scenario's headline row from a run answer.
fn headline_of<'a>(answer: &'a Value, scenario: &str) -> &'a Value {
    answer["headline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scenario"] == scenario)
        .unwrap()
}

#[test]
fn a_slider_moves_an_uncertain_number_keeping_its_spread_unless_fixed() {
    let s = server(&example(), None);
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    let path = "intervention.Falls prevention.relative_risk.At risk.Substantial";
    let control = info["interventions"][0]["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == path)
        .unwrap();
    // The page is told the number is uncertain, with its range.
    assert!(control["spread"]["p5"].as_f64().unwrap() < 0.85);
    assert!(control["spread"]["distribution"].as_str().unwrap().starts_with("PERT"));
    let state = page_state(&s, 1000);
    let at = |value: f64, fixed: bool| {
        let mut moved = state.clone();
        moved["scenarios"][0]["values"][path] = json!(value);
        if fixed {
            moved["scenarios"][0]["fixed"] = json!([path]);
        }
        let (code, answer) = post(&s, "/api/run", &moved);
        assert_eq!(code, 200, "{answer}");
        let row = headline_of(&answer, "falls-and-reablement").clone();
        let f = |k: &str| row[k].as_f64().unwrap();
        (f("npv"), f("npv_high") - f("npv_low"), f("chance_break_even"))
    };
    // A worse effect step by step: the NPV and the chance of breaking even
    // never rise, and the NPV's spread stays (within a tenth).
    let (npv0, width0, chance0) = at(0.85, false);
    let mut last = (npv0, chance0);
    for rr in [0.86, 0.88, 0.92, 0.97] {
        let (npv, width, chance) = at(rr, false);
        assert!(npv < last.0, "{rr}: NPV {npv} after {}", last.0);
        assert!(chance <= last.1, "{rr}: chance {chance} after {}", last.1);
        assert!(
            (width - width0).abs() < 0.1 * width0,
            "{rr}: spread {width} against {width0}"
        );
        last = (npv, chance);
    }
    // Fixed at the same value, the number no longer varies: the spread narrows.
    let (npv_fixed, width_fixed, _) = at(0.85, true);
    assert!((npv_fixed - npv0).abs() < 1e-6 * npv0.abs());
    assert!(width_fixed < width0, "{width_fixed} against {width0}");
}

#[test]
fn a_moved_number_is_saved_as_a_mean_and_loads_back_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    copy_example(tmp.path());
    let file = tmp.path().join("older-people.toml");
    let s = server(&file, None);
    let mut state = page_state(&s, 200);
    let (moved, fixed) = (
        "intervention.Falls prevention.relative_risk.At risk.Substantial",
        "intervention.Falls prevention.cost_per_participant",
    );
    state["scenarios"][0]["values"][moved] = json!(0.9);
    state["scenarios"][0]["values"][fixed] = json!(170);
    state["scenarios"][0]["fixed"] = json!([fixed]);
    let (_, shown) = post(&s, "/api/run", &state);
    let mut save = state.clone();
    save["file"] = json!("moved.toml");
    let (code, answer) = post(&s, "/api/save", &save);
    assert_eq!(code, 200, "{answer}");
    let text = std::fs::read_to_string(tmp.path().join("moved.toml")).unwrap();
    assert!(text.contains(&format!("\"{moved}\" = {{ mean = 0.9 }}")), "{text}");
    assert!(text.contains(&format!("\"{fixed}\" = 170")), "{text}");
    // The saved file, run with the same draws, gives the page's headline.
    let saved = server(&tmp.path().join("moved.toml"), None);
    let (_, again) = post(&saved, "/api/run", &page_state(&saved, 200));
    for key in ["npv", "npv_low", "npv_high", "chance_break_even"] {
        let (a, b) = (
            headline_of(&shown, "falls-and-reablement")[key].as_f64().unwrap(),
            headline_of(&again, "falls-and-reablement")[key].as_f64().unwrap(),
        );
        assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{key}: page {a}, file {b}");
    }
}

#[test]
fn pinned_futures_export_as_a_scenario_file_that_runs() {
    let s = server(&example(), None);
    let mut state = page_state(&s, 0);
    let mut pinned = state["scenarios"][0].clone();
    pinned["name"] = json!("pinned-1");
    pinned["title"] = json!("Pinned 1: more reach");
    pinned["values"]["intervention.Falls prevention.reach"] = json!(0.5);
    state["scenarios"] = json!([pinned]);
    let (code, answer) = post(&s, "/api/export", &state);
    assert_eq!(code, 200, "{answer}");
    let text = answer["text"].as_str().unwrap();
    assert!(
        text.contains("name = \"pinned-1\"") && text.contains("title = \"Pinned 1: more reach\""),
        "{text}"
    );
    // Saved anywhere on this machine, it loads (its tables by absolute paths) and runs.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("pinned-futures.toml");
    std::fs::write(&file, text).unwrap();
    let npvs = file_npvs(&file);
    assert_eq!(npvs.len(), 1);
    let (_, shown) = post(&s, "/api/run", &state);
    assert!((npvs[0].1 - npv_of(&shown, "pinned-1")).abs() < 1e-6 * npvs[0].1.abs().max(1.0));
    // Nothing was written beside the model.
    assert!(!example().with_file_name("pinned-futures.toml").exists());
}

#[test]
fn remembered_futures_give_the_same_answer_as_a_whole_run() {
    let app = App::load(&example(), None).unwrap();
    let model = &app.loaded.model;
    let info = upstream::serve::edit::model_info(model, 300);
    let mut request = file_request(&info, 300);
    let reach = "intervention.Falls prevention.reach".to_string();
    let rr = "intervention.Falls prevention.relative_risk.At risk.Substantial".to_string();
    let same = |request: &upstream::serve::edit::RunRequest| {
        let cached = upstream::serve::compute_with(model, request, Some(&app.futures)).unwrap();
        let whole = upstream::serve::compute(model, request).unwrap();
        assert_eq!(cached.headline, whole.headline);
        assert_eq!(cached.headline_html, whole.headline_html);
        assert_eq!(
            serde_json::to_value(&cached.supply).unwrap(),
            serde_json::to_value(&whole.supply).unwrap()
        );
        for (a, b) in cached.charts.iter().zip(&whole.charts) {
            assert!(a.svg == b.svg, "chart {} differs", a.id);
        }
    };
    // The first run, then again with every future remembered.
    same(&request);
    same(&request);
    // One slider moved, a copy added before the others, a lock, another area of draws.
    request.scenarios[0].values.insert(reach.clone(), 0.4);
    same(&request);
    let mut copy = request.scenarios[0].clone();
    copy.name = "falls-and-reablement (what if 2)".into();
    copy.values.insert(rr.clone(), 0.9);
    request.scenarios.insert(1, copy);
    same(&request);
    request.scenarios[1].fixed.push(rr);
    same(&request);
    request.scenarios.remove(0);
    same(&request);
    request.draws = 200;
    same(&request);
}

#[test]
fn titled_scenarios_get_their_supply_cells_and_colours_in_the_headline() {
    let s = server(&example(), None);
    let (code, answer) = post(&s, "/api/run", &page_state(&s, 0));
    assert_eq!(code, 200, "{answer}");
    let html = answer["headline_html"].as_str().unwrap();
    // The example's scenarios have titles: each row is found by its title
    // and gains its first year over capacity and first year full.
    let row_of = |title: &str| {
        let start = html.find(&format!("<strong>{title}</strong>")).unwrap();
        let end = start + html[start..].find("</tr>").unwrap();
        html[start..end].to_string()
    };
    let row = row_of("Falls and reablement");
    assert!(row.contains("not by 2039") && row.contains("2029 (Care home)"), "{row}");
    assert!(row_of("Whole-system shift").contains("2034 (Care home)"));
    // With the scenario's chart colour beside its name.
    let colour = answer["colours"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "falls-and-reablement")
        .unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    let swatch = format!("background:{colour}");
    assert!(html.contains(&format!("<span class=\"swatch\" style=\"{swatch}\" aria-hidden=\"true\"></span><strong>Falls and reablement</strong>")), "{html}");
}

#[test]
fn the_map_of_the_system_follows_the_future_band_and_year_asked() {
    let s = server(&example(), None);
    let mut state = page_state(&s, 0);
    state["map"] = json!({"future": "do-nothing", "band": "85+", "year": 2030});
    let (code, answer) = post(&s, "/api/run", &state);
    assert_eq!(code, 200, "{answer}");
    let map_of = |answer: &Value| -> Value {
        let charts = answer["charts"].as_array().unwrap();
        charts.iter().find(|c| c["id"] == "system-map").unwrap().clone()
    };
    let chart = map_of(&answer);
    assert_eq!(chart["title"], "Map of the system, 2030");
    let svg = chart["svg"].as_str().unwrap();
    assert!(
        svg.contains("age band 85+") && !svg.contains("against do-nothing"),
        "{svg}"
    );
    // An unknown scenario, band or year falls back to the defaults.
    state["map"] = json!({"future": "no such", "band": "no such", "year": 1900});
    let (code, answer) = post(&s, "/api/run", &state);
    assert_eq!(code, 200, "{answer}");
    let chart = map_of(&answer);
    assert_eq!(chart["title"], "Map of the system, 2039");
    assert!(chart["svg"].as_str().unwrap().contains("every age band"));
}

fn sib_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/worcestershire-sib.toml")
}

const PRICE: &str = "contract.Maintaining Health SIB.tariff.1.price";
const CAP: &str = "contract.Maintaining Health SIB.cap";

/// A contract's whole-horizon figure on the page: (value at the means, low, high).
fn deal_figure(answer: &Value, party: &str, metric: &str) -> (f64, Option<f64>, Option<f64>) {
    let contract = &answer["contracts"][0];
    let f = contract["figures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["party"] == party && f["metric"] == metric)
        .unwrap_or_else(|| panic!("no {party} {metric} in {contract}"));
    (
        f["value"].as_f64().unwrap_or(f64::NAN),
        f["low"].as_f64(),
        f["high"].as_f64(),
    )
}

/// `upstream run FILE --draws N` in a folder of its own; its contracts.csv
/// as (party, metric, stat) → value, whole-horizon rows only.
fn run_contracts(file: &Path, draws: u32) -> std::collections::HashMap<(String, String, String), f64> {
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_upstream"))
        .arg("run")
        .arg(file)
        .args(["--draws", &draws.to_string(), "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let text = std::fs::read_to_string(out.path().join("contracts.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == "contract" && f[3] == "all" && !f[7].is_empty())
        .map(|f| {
            (
                (f[4].to_string(), f[5].to_string(), f[6].to_string()),
                f[7].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn contract_sliders_pay_as_a_run_of_the_file_with_those_terms() {
    let s = server(&sib_file(), None);
    let info: Value = ureq::get(&url(&s, "/api/model")).call().unwrap().into_json().unwrap();
    let controls = info["contracts"][0]["controls"].as_array().unwrap();
    let paths: Vec<&str> = controls.iter().map(|c| c["path"].as_str().unwrap()).collect();
    assert_eq!(paths, [PRICE, "contract.Maintaining Health SIB.tariff.2.price", CAP]);
    assert_eq!(info["deals"][PRICE], 11000.0);
    assert_eq!(info["deals"][CAP], 1_980_000.0);
    assert!(
        controls[0]["label"]
            .as_str()
            .unwrap()
            .contains("High loneliness to Moderate loneliness"),
        "{}",
        controls[0]
    );
    let mut state = page_state(&s, 200);
    let (_, before) = post(&s, "/api/run", &state);
    state["deals"] = json!({ PRICE: 8000.0, CAP: 1_500_000.0 });
    let (code, answer) = post(&s, "/api/run", &state);
    assert_eq!(code, 200, "{answer}");
    assert!(deal_figure(&answer, "all", "paid").0 < deal_figure(&before, "all", "paid").0);
    // The file with the same terms, edited by hand and run whole.
    let text = std::fs::read_to_string(sib_file()).unwrap();
    let edited = text
        .replacen("price = 11_000", "price = 8000", 1)
        .replace("cap = 1_980_000", "cap = 1500000");
    assert_ne!(edited, text);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("edited.toml");
    std::fs::write(&file, &edited).unwrap();
    let run = run_contracts(&file, 200);
    let close = |a: f64, b: f64, tolerance: f64| (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0);
    let contract = &answer["contracts"][0];
    assert_eq!(contract["future"], "Maintaining Health");
    for f in contract["figures"].as_array().unwrap() {
        let key = |stat: &str| {
            (
                f["party"].as_str().unwrap().to_string(),
                f["metric"].as_str().unwrap().to_string(),
                stat.to_string(),
            )
        };
        match (f["value"].as_f64(), run.get(&key("value"))) {
            (Some(page), Some(&file)) => assert!(close(page, file, 1e-12), "{f}: the run has {file}"),
            (None, None) => {}
            other => panic!("{f}: {other:?}"),
        }
        if let (Some(low), Some(&p5)) = (f["low"].as_f64(), run.get(&key("p5"))) {
            assert!(close(low, p5, 1e-6), "{f}: the run's p5 is {p5}");
        }
        if let (Some(high), Some(&p95)) = (f["high"].as_f64(), run.get(&key("p95"))) {
            assert!(close(high, p95, 1e-6), "{f}: the run's p95 is {p95}");
        }
    }
    let chances = contract["chances"].as_array().unwrap();
    assert_eq!(chances.len(), 5, "{contract}");
    for c in chances {
        let key = (
            c["party"].as_str().unwrap().to_string(),
            c["metric"].as_str().unwrap().to_string(),
            "value".to_string(),
        );
        assert_eq!(c["value"].as_f64(), run.get(&key).copied(), "{c}");
    }
    // A cap that binds: paid is the cap, never more.
    state["deals"] = json!({ CAP: 500_000.0 });
    let (_, capped) = post(&s, "/api/run", &state);
    let (paid, _, high) = deal_figure(&capped, "all", "paid");
    assert!(close(paid, 500_000.0, 1e-12) && high.unwrap() <= 500_000.0 * (1.0 + 1e-12));
    assert_eq!(deal_figure(&capped, "all", "cap_binds").0, 1.0);
}

#[test]
fn contract_terms_export_and_save_into_the_files_contracts() {
    let tmp = tempfile::tempdir().unwrap();
    let s = server(&sib_file(), Some(tmp.path().to_path_buf()));
    let mut state = page_state(&s, 0);
    state["deals"] = json!({ PRICE: 8000.0, CAP: 1_500_000.0 });
    let (code, exported) = post(&s, "/api/export", &state);
    assert_eq!(code, 200, "{exported}");
    let text = exported["text"].as_str().unwrap();
    assert!(
        text.contains("price = 8000\n") && text.contains("cap = 1500000\n"),
        "{text}"
    );
    // The second tariff and every comment are the file's.
    assert!(
        text.contains("price = 11_000\n") && text.contains("# The outcomes contract."),
        "{text}"
    );
    let file = tmp.path().join("exported.toml");
    std::fs::write(&file, text).unwrap();
    let model = upstream::scenario::load(&file).unwrap().model;
    let contract = &model.deals.contracts[0];
    assert_eq!(
        (contract.tariffs[0].price, contract.tariffs[1].price, contract.cap),
        (8000.0, 11000.0, Some(1_500_000.0))
    );
    // Save as writes the same terms; unmoved, the file's text is kept.
    let mut body = state.clone();
    body["file"] = json!("saved.toml");
    let (code, saved) = post(&s, "/api/save", &body);
    assert_eq!(code, 200, "{saved}");
    let saved = std::fs::read_to_string(tmp.path().join("saved.toml")).unwrap();
    assert!(saved.contains("price = 8000\n") && saved.contains("cap = 1500000\n"));
    let (_, unmoved) = post(&s, "/api/export", &page_state(&s, 0));
    let unmoved = unmoved["text"].as_str().unwrap();
    assert!(
        unmoved.contains("cap = 1_980_000\n") && !unmoved.contains("price = 11000"),
        "{unmoved}"
    );
}

#[test]
fn a_bad_contract_term_is_refused_with_a_message() {
    let s = server(&sib_file(), None);
    let mut state = page_state(&s, 0);
    for (deals, says) in [
        (json!({ PRICE: -1.0 }), "the price of tariff 1"),
        (json!({ CAP: -5.0 }), "the cap is -5; it must be a sum of money ≥ 0"),
        (
            json!({ "contract.Nobody.cap": 5.0 }),
            "the file has no contract term `contract.Nobody.cap`",
        ),
    ] {
        state["deals"] = deals;
        let (code, answer) = post(&s, "/api/run", &state);
        assert_eq!(code, 422, "{answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{answer}");
        let (code, answer) = post(&s, "/api/export", &state);
        assert_eq!(code, 422, "{answer}");
    }
    // JSON carries no infinity or NaN; the library refuses them too.
    let model = upstream::scenario::load(&sib_file()).unwrap().model;
    let info = upstream::serve::edit::model_info(&model, 0);
    for bad in [f64::INFINITY, f64::NAN] {
        let request = upstream::serve::edit::RunRequest {
            deals: [(PRICE.to_string(), bad)].into(),
            ..file_request(&info, 0)
        };
        let message = upstream::serve::compute(&model, &request).err().unwrap();
        assert!(message.contains("a finite number ≥ 0"), "{message}");
    }
    // A model without contracts has no contract sliders or figures, and no terms to set.
    let plain = server(&example(), None);
    let info: Value = ureq::get(&url(&plain, "/api/model"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert!(info.get("contracts").is_none() && info.get("deals").is_none());
    let mut state = page_state(&plain, 0);
    let (_, answer) = post(&plain, "/api/run", &state);
    assert!(answer.get("contracts").is_none());
    state["deals"] = json!({ CAP: 5.0 });
    let (code, answer) = post(&plain, "/api/run", &state);
    assert_eq!(code, 422);
    assert!(
        answer["error"].as_str().unwrap().contains("the file has no contract"),
        "{answer}"
    );
}

#[test]
fn contract_terms_moved_reuse_the_draws_and_give_what_a_fresh_run_gives() {
    let app = App::load(&sib_file(), None).unwrap();
    let model = &app.loaded.model;
    let info = upstream::serve::edit::model_info(model, 500);
    let mut request = file_request(&info, 500);
    let same = |request: &upstream::serve::edit::RunRequest| {
        let kept = upstream::serve::compute_with(model, request, Some(&app.futures)).unwrap();
        let fresh = upstream::serve::compute(model, request).unwrap();
        assert_eq!(kept.contracts, fresh.contracts);
        assert_eq!(kept.headline, fresh.headline);
        assert_eq!(kept.headline_html, fresh.headline_html);
        kept.contracts
    };
    let first = same(&request);
    for (price, cap) in [(8000.0, 1_980_000.0), (8000.0, 900_000.0), (15_000.0, 3_000_000.0)] {
        request.deals = [(PRICE.to_string(), price), (CAP.to_string(), cap)].into();
        assert_ne!(same(&request), first, "price {price}, cap {cap}");
    }
    // A scenario's edit runs the draws again; the terms stay.
    request.scenarios[0]
        .values
        .insert("intervention.Maintaining Health.reach".into(), 0.3);
    same(&request);
}

#[test]
fn a_cap_per_participant_gets_a_slider_that_pays_as_the_edited_file() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(sib_file()).unwrap();
    let with_cap = |x: &str| {
        text.replace(
            "cap = 1_980_000\n",
            &format!("cap = 1_980_000\ncap_per_participant = {x}\n"),
        )
    };
    let file = tmp.path().join("per-participant.toml");
    std::fs::write(&file, with_cap("700")).unwrap();
    let app = App::load(&file, None).unwrap();
    let model = &app.loaded.model;
    let info = upstream::serve::edit::model_info(model, 0);
    let per = "contract.Maintaining Health SIB.cap_per_participant";
    assert_eq!(info.deals[per], 700.0);
    let control = info.contracts[0].controls.iter().find(|c| c.path == per).unwrap();
    assert!(control.label.contains("per participant"), "{}", control.label);
    let request = upstream::serve::edit::RunRequest {
        deals: [(per.to_string(), 100.0)].into(),
        ..file_request(&info, 0)
    };
    let page = upstream::serve::compute(model, &request).unwrap().contracts;
    // The file with that cap, run at the means.
    let edited = tmp.path().join("edited.toml");
    std::fs::write(&edited, with_cap("100")).unwrap();
    let loaded = upstream::scenario::load(&edited).unwrap().model;
    let futures = upstream::run::run_futures(&loaded, &[]).unwrap();
    let (accounts, comparisons) = upstream::results::account_futures(&futures);
    let rows = upstream::contracts::deal_rows(&loaded, &accounts, &comparisons);
    let figures = &page[0].figures;
    let horizon: Vec<_> = rows
        .iter()
        .filter(|r| r.kind == "contract" && r.year.is_none())
        .collect();
    assert_eq!(figures.len(), horizon.len());
    for (f, r) in figures.iter().zip(horizon) {
        assert_eq!((&f.party, &f.metric, f.value), (&r.party, &r.metric, r.value));
    }
    let cap = figures.iter().find(|f| f.metric == "cap_binds").unwrap();
    assert_eq!(cap.value, Some(1.0), "£100 per participant-year binds");
}

/// A run of the file's own scenarios at `draws`, nothing moved.
fn file_request(info: &upstream::serve::edit::ModelInfo, draws: u32) -> upstream::serve::edit::RunRequest {
    upstream::serve::edit::RunRequest {
        draws,
        scenarios: info.scenarios.clone(),
        area: None,
        presenter: false,
        map: Default::default(),
        deals: Default::default(),
    }
}
