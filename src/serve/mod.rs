//! `upstream serve`: the workshop page. A local web server (axum on tokio)
//! that serves one self-contained page and three endpoints: the model's
//! controls, a re-run of the page's scenarios (headline, with the first
//! year over capacity where services have one (`capacity`), what each
//! outcomes contract pays with the page's tariffs and caps (`deals`), and
//! the report's charts as SVG), and "save as". The server keeps no edit state (the page
//! sends its whole state with each request), so browser tabs cannot
//! disturb each other. Safe by default: loopback only unless told, requests
//! naming another host or coming from another site refused, bodies limited,
//! runs taken in turn within a memory budget (`limits`), connections capped
//! and timed (`connections`).

pub mod cache;
pub mod capacity;
mod connections;
pub mod deals;
pub mod edit;
pub mod limits;
pub mod map;
pub mod save;

use crate::charts::{Chart, Figures};
use crate::format::currency_prefix;
use crate::model::Model;
use crate::montecarlo;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use edit::RunRequest;
use limits::{Limits, Refusal, RunGate};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Largest request body accepted (the page's whole state is a few KiB).
pub const BODY_LIMIT: usize = 256 * 1024;

const PAGE: &str = include_str!("page.html");

/// The loaded scenario file and where the page may save.
pub struct App {
    /// The file as loaded: the model and what was read beside it.
    pub loaded: crate::scenario::Loaded,
    pub path: PathBuf,
    pub text: String,
    pub save_dir: PathBuf,
    /// `Host` header values the server answers to (`127.0.0.1:8080`, …).
    pub hosts: Vec<String>,
    /// Draws the page starts with.
    pub draws: u32,
    /// The access token every request must carry (the page's address
    /// `?token=…`, then the `X-Upstream-Token` header), when the server
    /// listens beyond loopback; `None` on loopback.
    pub token: Option<String>,
    /// Whether "Save as" may replace the scenario file itself or another of
    /// the model's input files (`upstream serve --overwrite-original`).
    pub overwrite_original: bool,
    /// Runs, their memory and connections allowed at once, and how long a
    /// client may take over a request.
    pub limits: Limits,
    /// The page's statistics remembered per future between runs.
    pub futures: cache::Futures,
}

/// The header the page sends its access token in.
pub const TOKEN_HEADER: &str = "x-upstream-token";

impl App {
    /// Loads `path`; `save_dir` defaults to the scenario file's folder.
    pub fn load(path: &Path, save_dir: Option<PathBuf>) -> Result<App, String> {
        let loaded = crate::scenario::load(path).map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let save_dir = save_dir.unwrap_or_else(|| folder.to_path_buf());
        if !save_dir.is_dir() {
            return Err(format!("the save folder {} does not exist", save_dir.display()));
        }
        Ok(App {
            loaded,
            path: path.to_path_buf(),
            text,
            save_dir,
            hosts: Vec::new(),
            draws: 1000,
            token: None,
            overwrite_original: false,
            limits: Limits::default(),
            futures: cache::Futures::default(),
        })
    }

    /// A fresh random access token (128 bits from rand's thread generator,
    /// a cryptographic generator seeded by the operating system, as hex),
    /// for a server that listens beyond loopback.
    pub fn new_token() -> String {
        let bytes: [u8; 16] = rand::random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Whether `path` in the save folder is the scenario file itself or
    /// another of the model's input files (tables, assessments).
    fn is_input(&self, path: &Path) -> bool {
        let Ok(target) = path.canonicalize() else {
            return false;
        };
        std::iter::once(self.path.clone())
            .chain(self.loaded.sources.iter().map(|s| s.path.clone()))
            .any(|p| p.canonicalize().is_ok_and(|p| p == target))
    }

    /// Answer to these `Host` names at `addr`'s port: loopback's, the
    /// address listened on (unless it is every interface) and the names
    /// given (`--allow-host`), and no others.
    pub fn allow_hosts(&mut self, addr: SocketAddr, extra: &[String]) {
        let port = addr.port();
        self.hosts = vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ];
        if !addr.ip().is_unspecified() {
            self.hosts.push(addr.to_string());
        }
        for h in extra {
            let h = if h.contains(':') && !h.starts_with('[') {
                format!("[{h}]")
            } else {
                h.clone()
            };
            self.hosts.push(format!("{h}:{port}"));
        }
        self.hosts.dedup();
    }

    /// The scenario file's folder.
    fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    fn same_folder(&self) -> bool {
        match (self.folder().canonicalize(), self.save_dir.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }

    /// The file's text with the page's `scenarios` in place of its own,
    /// `draws` set and the contracts' terms the page moved (`deals`), its tables named by absolute paths when `absolute` (Save
    /// as into another folder; Export).
    fn document(
        &self,
        draws: u32,
        scenarios: Vec<edit::ScenarioEdit>,
        deals: std::collections::BTreeMap<String, f64>,
        absolute: bool,
    ) -> Result<String, Problem> {
        let run = RunRequest {
            draws,
            scenarios,
            area: None,
            presenter: false,
            map: Default::default(),
            deals,
        };
        let model = edit::build(&self.loaded.model, &run).map_err(|e| Problem(StatusCode::UNPROCESSABLE_ENTITY, e))?;
        let folder = self.folder();
        let csv_base = absolute.then(|| folder.canonicalize().unwrap_or_else(|_| folder.to_path_buf()));
        save::document(&self.text, &model, draws, csv_base.as_deref())
            .map_err(|e| Problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
    }
}

/// A message for the page, with its status.
struct Problem(StatusCode, String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body {
            error: String,
        }
        (self.0, axum::Json(Body { error: self.1 })).into_response()
    }
}

fn json<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        Problem(
            StatusCode::BAD_REQUEST,
            format!("the request is not what the page sends: {e}"),
        )
    })
}

pub fn router(app: Arc<App>) -> Router {
    let runs = Arc::new(Runs {
        gate: RunGate::new(&app.limits),
        app: app.clone(),
    });
    Router::new()
        .route("/", get(page))
        .route("/api/model", get(model_info))
        .route("/api/run", post(run).with_state(runs))
        .route("/api/save", post(save_as))
        .route("/api/export", post(export))
        .route("/api/maturity", get(maturity_info))
        .route("/api/maturity/save", post(maturity_save))
        .fallback(|| async { Problem(StatusCode::NOT_FOUND, "no such page; the workshop is at /".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(app.clone(), read_body))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Refuses requests for another host (a page elsewhere reaching this
/// server through DNS) and posts from another site.
async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if host.is_empty() || !app.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return Problem(
            StatusCode::FORBIDDEN,
            format!(
                "this workshop server answers only at {}",
                app.hosts.first().map_or("its own address", String::as_str)
            ),
        )
        .into_response();
    }
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        // Same origin only: the page this server served.
        if !origin.eq_ignore_ascii_case(&format!("http://{host}")) {
            return Problem(
                StatusCode::FORBIDDEN,
                "requests from other web pages are refused".into(),
            )
            .into_response();
        }
    }
    if let Some(token) = &app.token {
        // The page's address carries the token; the page sends it back
        // with each request it makes.
        let given = if request.uri().path() == "/" {
            request
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .find_map(|pair| pair.strip_prefix("token="))
                .unwrap_or("")
        } else {
            request
                .headers()
                .get(TOKEN_HEADER)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
        };
        if !same_secret(given, token) {
            return Problem(
                StatusCode::UNAUTHORIZED,
                "this workshop page needs its access token: open the whole address `upstream serve` printed, ending ?token=…".into(),
            )
            .into_response();
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Reads a request's whole body (at most [`BODY_LIMIT`]) within the body
/// timeout, before any handler sees it: a client that stalls or trickles
/// its body is answered 408 and its connection closed.
async fn read_body(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let too_large = || {
        Problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the request is larger than the page ever sends (at most {} KiB)",
                BODY_LIMIT / 1024
            ),
        )
        .into_response()
    };
    // Read up to the limit even when the declared length is over it (as
    // axum's own limit does): a client that sends its whole body before
    // reading the answer then gets the 413 rather than a reset connection.
    let (parts, body) = request.into_parts();
    let reading = http_body_util::BodyExt::collect(http_body_util::Limited::new(body, BODY_LIMIT));
    let body = match tokio::time::timeout(app.limits.body_timeout, reading).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return too_large(),
        Ok(Err(_)) => {
            return Problem(StatusCode::BAD_REQUEST, "the request's body could not be read".into()).into_response();
        }
        Err(_) => {
            let mut response = Problem(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request's body did not arrive within {} s",
                    app.limits.body_timeout.as_secs_f64()
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    next.run(Request::from_parts(parts, Body::from(body))).await
}

/// Compares a given token with the server's in time that does not depend
/// on where they first differ.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len() && given.bytes().zip(token.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

async fn page() -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        ),
    );
    (headers, PAGE).into_response()
}

async fn model_info(State(app): State<Arc<App>>) -> Response {
    let mut info = edit::model_info(&app.loaded.model, app.draws);
    edit::add_notes(&mut info, &app.loaded.model, &app.text);
    axum::Json(info).into_response()
}

/// One chart of a re-run.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChartSvg {
    pub id: String,
    pub title: String,
    pub svg: String,
}

/// One scenario's headline: NPV (at the means, and its outer percentiles
/// under draws), return per pound, break-even year and, under draws, the
/// share of draws that have broken even by the last year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadlineRow {
    pub scenario: String,
    pub title: String,
    pub npv: f64,
    pub npv_low: Option<f64>,
    pub npv_high: Option<f64>,
    pub return_per_pound: Option<f64>,
    pub break_even_year: Option<i32>,
    pub chance_break_even: Option<f64>,
}

impl HeadlineRow {
    fn of(figures: &Figures, accounts: &[crate::results::Accounts]) -> Vec<HeadlineRow> {
        figures
            .futures
            .iter()
            .zip(accounts)
            .filter_map(|(f, a)| {
                let c = f.comparison.as_ref()?;
                Some(HeadlineRow {
                    scenario: a.scenario.clone(),
                    title: f.name.clone(),
                    npv: c.npv,
                    npv_low: c.npv_range.map(|r| r.0),
                    npv_high: c.npv_range.map(|r| r.1),
                    return_per_pound: c.return_per_pound,
                    break_even_year: c.break_even_year,
                    chance_break_even: c.prob_break_even.as_ref().and_then(|p| p.last().copied()),
                })
            })
            .collect()
    }
}

/// The page's re-run.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunResponse {
    /// The headline tables, as in the report.
    pub headline_html: String,
    pub charts: Vec<ChartSvg>,
    /// Each scenario's NPV at the inputs' means.
    pub npv: Vec<(String, f64)>,
    /// Each scenario's headline figures, for the page's record of changes
    /// and its pinned futures.
    #[serde(default)]
    pub headline: Vec<HeadlineRow>,
    /// Each future's colour on the charts (`#rrggbb`), do-nothing first,
    /// for the page's cards and tables.
    #[serde(default)]
    pub colours: Vec<(String, String)>,
    /// Per future (do-nothing first), when demand first exceeds a service's
    /// capacity, and what each service with one served; empty when no
    /// service has a capacity.
    #[serde(default)]
    pub supply: Vec<capacity::FutureSupply>,
    /// Each outcomes contract in each future that funds its intervention:
    /// what it pays, by payer, the investor's return and, with draws, the
    /// chances (`deals`); absent without contracts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contracts: Vec<deals::ContractResult>,
    pub draws: u32,
    /// Time to build, run and draw, in milliseconds.
    pub compute_ms: f64,
}

/// Builds the page's scenarios, runs them (with draws if asked) and draws
/// the headline and charts.
pub fn compute(base: &Model, request: &RunRequest) -> Result<RunResponse, String> {
    compute_with(base, request, None)
}

/// [`compute`], with the statistics of futures remembered in `cache` taken
/// from it (and those computed added).
pub fn compute_with(base: &Model, request: &RunRequest, cache: Option<&cache::Futures>) -> Result<RunResponse, String> {
    let started = Instant::now();
    crate::timing::mark("page: request");
    let model = edit::build(base, request)?;
    let run = crate::pipeline::Run::new(
        &model,
        crate::pipeline::Request {
            draws: request.draws,
            seed: model.monte_carlo.seed,
            ..crate::pipeline::Request::futures_only(Vec::new())
        },
    )
    .map_err(|e| e.to_string())?;
    let unit = run.unit(request.area.as_deref())?;
    let (accounts, comparisons) = run.unit_accounts(unit);
    crate::timing::mark("page: model and means");
    let last = model.end_year();
    // Statistics only for what the page draws, of the area shown.
    let reads = |key: &montecarlo::RowKey| Figures::reads(&key.2) || capacity::reads(key, last);
    let (mc, deal_results) = statistics(&model, &run, unit, request, cache, &reads)?;
    if let Some(figure) = crate::output::non_finite_figure(&model, &accounts, &comparisons, mc.as_ref()) {
        return Err(format!(
            "the result {figure}; this is a fault in upstream, not in the page: please report it with the scenario file"
        ));
    }
    crate::timing::mark("page: draws");
    let figures = Figures::new(&model, &accounts, &comparisons, mc.as_ref());
    let supply = capacity::futures(&model, &accounts, &comparisons, mc.as_ref());
    let headline_html = capacity::headline(
        &crate::output::report::headline_tables(&figures, &currency_prefix(&model.currency)),
        &supply,
        last,
        request.draws > 0,
    );
    use rayon::prelude::*;
    let charts = Chart::ALL
        .par_iter()
        .map(|c| {
            let size = if request.presenter {
                crate::charts::style::PRESENTER_SIZE
            } else {
                crate::charts::style::SIZE
            };
            c.svg_sized(&figures, size).map(|svg| ChartSvg {
                id: c.file_stem().to_string(),
                title: c.title().to_string(),
                svg,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    crate::timing::mark("page: figures and charts");
    // The pathway map of every intervention switched on in some scenario.
    let mut on: Vec<usize> = model
        .scenarios
        .iter()
        .flat_map(|s| s.interventions.iter().copied())
        .collect();
    on.sort_unstable();
    on.dedup();
    let map = crate::evidence::pathways::PathwayMap::new(&model, &on, "the interventions switched on");
    let mut charts = charts;
    charts.push(ChartSvg {
        id: "pathway-map".into(),
        title: "Pathway map".into(),
        svg: crate::charts::PathwayChart {
            map: &map,
            model: &model,
        }
        .svg()
        .map_err(|e| e.to_string())?,
    });
    if let Some(map) = map::map(&run, unit, &figures, &request.map) {
        let size = if request.presenter {
            crate::charts::style::PRESENTER_SIZE
        } else {
            crate::charts::style::SIZE
        };
        charts.push(ChartSvg {
            id: "system-map".into(),
            title: format!("Map of the system, {}", map.year),
            svg: map.svg_sized(size).map_err(|e| e.to_string())?,
        });
    }
    Ok(RunResponse {
        headline_html,
        charts,
        npv: comparisons.iter().map(|c| (c.scenario.clone(), c.total.npv)).collect(),
        headline: HeadlineRow::of(&figures, &accounts),
        colours: accounts
            .iter()
            .enumerate()
            .map(|(f, a)| (a.scenario.clone(), crate::charts::style::hex(figures.colour(f))))
            .collect(),
        supply,
        contracts: deals::results(&model, &deal_results),
        draws: request.draws,
        compute_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The statistics of the page's run over its draws (none without draws)
/// and its contracts' results (empty without contracts). A model with
/// outcomes contracts runs every future's draws, keeping each draw's
/// contracts before their terms (a contract's figures need its future's
/// every draw), and remembers them in `cache`: a run that changes only the
/// terms simulates nothing. One without contracts takes the futures
/// remembered in `cache`.
fn statistics(
    model: &Model,
    run: &crate::pipeline::Run,
    unit: usize,
    request: &RunRequest,
    cache: Option<&cache::Futures>,
    reads: &(dyn Fn(&montecarlo::RowKey) -> bool + Sync),
) -> Result<(Option<montecarlo::Summary>, crate::contracts::DealResults), String> {
    let percentiles = model.monte_carlo.percentiles.as_slice();
    if model.deals.contracts.is_empty() {
        let mc = match (request.draws, cache) {
            (0, _) => None,
            (_, Some(cache)) => Some(cache::statistics(cache, model, request, reads)?),
            (_, None) => Some(run.unit_statistics(unit, reads, &|_| {}).map_err(|e| e.to_string())?),
        };
        return Ok((mc, crate::contracts::DealResults::default()));
    }
    if request.draws == 0 {
        let deals = crate::contracts::DealResults::new(model, &run.accounts, &run.comparisons, None);
        return Ok((None, deals));
    }
    let seed = model.monte_carlo.seed;
    let drawn = match cache.and_then(|c| c.drawn(request, seed)) {
        Some(drawn) => drawn,
        None => {
            let bases = |accounts: &[crate::results::Accounts]| crate::contracts::draw_bases(model, accounts);
            let (summary, bases) = run
                .unit_statistics_with_figures(unit, reads, &bases, &|_| {})
                .map_err(|e| e.to_string())?;
            let drawn = std::sync::Arc::new(cache::Drawn { summary, bases });
            if let Some(cache) = cache {
                cache.keep_drawn(request, seed, drawn.clone());
            }
            drawn
        }
    };
    // The contracts' figures of each draw under the page's terms.
    let per_draw = (drawn.bases.iter())
        .map(|flat| crate::contracts::figures_from_bases(model, &run.accounts, flat))
        .collect::<Option<Vec<Vec<f64>>>>()
        .ok_or("a draw's contract figures do not fit the run's futures; this is a fault in upstream")?;
    let per_draw: Vec<&[f64]> = per_draw.iter().map(Vec::as_slice).collect();
    let rows = crate::contracts::contract_rows(model, &run.accounts, &run.comparisons);
    let statistics = crate::contracts::DealStatistics::new(&rows, &per_draw, percentiles);
    let deals = crate::contracts::DealResults {
        rows,
        statistics: Some(statistics),
    };
    let mc = drawn.summary.clone();
    Ok((Some(mc), deals))
}

/// The page's runs and their turns.
struct Runs {
    app: Arc<App>,
    gate: RunGate,
}

/// Seconds a client turned away because runs are busy is asked to wait.
const RETRY_AFTER_SECONDS: u32 = 5;

async fn run(State(runs): State<Arc<Runs>>, body: Bytes) -> Response {
    let request: RunRequest = match json(&body) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    if let Err(message) = edit::check_size(&request) {
        return Problem(StatusCode::UNPROCESSABLE_ENTITY, message).into_response();
    }
    let app = runs.app.clone();
    let scenarios = request.scenarios.len();
    let needed = limits::run_bytes(&app.loaded.model, scenarios, request.draws);
    let admitted = match runs.gate.admit(needed).await {
        Ok(a) => a,
        Err(Refusal::Busy) => {
            let mut response = Problem(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is busy with other runs; try again in a few seconds (it runs {} at once and keeps {} waiting)",
                    app.limits.runs.max(1),
                    app.limits.queued_runs
                ),
            )
            .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            return response;
        }
        Err(Refusal::TooLarge { needed, budget }) => {
            let fits = runs.gate.draws_that_fit(&app.loaded.model, scenarios, edit::MAX_DRAWS);
            let mib = |b: u64| b.div_ceil(1024 * 1024);
            let advice = if fits > 0 {
                format!("ask for at most {fits} draws, or fewer scenarios")
            } else {
                "remove some scenarios".to_string()
            };
            return Problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "{} draws of {scenarios} scenarios would need about {} MiB, more than this server allows for runs ({} MiB); {advice}",
                    request.draws,
                    mib(needed),
                    mib(budget)
                ),
            )
            .into_response();
        }
    };
    // The admission goes with the run: it counts until the run ends, even
    // if the page has stopped waiting for it.
    let result = tokio::task::spawn_blocking(move || {
        let _admitted = admitted;
        compute_with(&app.loaded.model, &request, Some(&app.futures))
    })
    .await;
    match result {
        Ok(Ok(response)) => axum::Json(response).into_response(),
        Ok(Err(message)) => Problem(StatusCode::UNPROCESSABLE_ENTITY, message).into_response(),
        Err(e) => Problem(StatusCode::INTERNAL_SERVER_ERROR, format!("the re-run failed: {e}")).into_response(),
    }
}

/// "Save as": the file name, whether to replace an existing file, and the page's state.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    pub file: String,
    #[serde(default)]
    pub overwrite: bool,
    pub draws: u32,
    pub scenarios: Vec<edit::ScenarioEdit>,
    /// The contracts' terms the page moved (`deals`).
    #[serde(default)]
    pub deals: std::collections::BTreeMap<String, f64>,
}

async fn save_as(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let request: SaveRequest = match json(&body) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let result = tokio::task::spawn_blocking(move || -> Result<PathBuf, Problem> {
        save::check_name(&request.file).map_err(|e| Problem(StatusCode::BAD_REQUEST, e.to_string()))?;
        if !app.overwrite_original && app.is_input(&app.save_dir.join(&request.file)) {
            return Err(Problem(
                StatusCode::FORBIDDEN,
                format!(
                    "{} is the model's own file; save under another name (replacing it needs `upstream serve --overwrite-original`)",
                    request.file
                ),
            ));
        }
        let text = app.document(request.draws, request.scenarios, request.deals, !app.same_folder())?;
        save::write(&app.save_dir, &request.file, &text, request.overwrite).map_err(|e| match e {
            save::SaveError::Refused(m) => Problem(StatusCode::BAD_REQUEST, m),
            save::SaveError::Conflict(m) => Problem(StatusCode::CONFLICT, m),
            save::SaveError::Failed(m) => Problem(StatusCode::INTERNAL_SERVER_ERROR, m),
        })
    })
    .await;
    match result {
        Ok(Ok(path)) => {
            #[derive(Serialize)]
            struct Saved {
                saved: String,
            }
            axum::Json(Saved {
                saved: path.display().to_string(),
            })
            .into_response()
        }
        Ok(Err(p)) => p.into_response(),
        Err(e) => Problem(StatusCode::INTERNAL_SERVER_ERROR, format!("saving failed: {e}")).into_response(),
    }
}

/// "Export": the page's scenarios (the pinned futures) as a scenario file
/// for the browser to download, written nowhere on the server; its tables
/// named by absolute paths, so that the file runs wherever it is put on
/// this machine.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    pub draws: u32,
    pub scenarios: Vec<edit::ScenarioEdit>,
    /// The contracts' terms the page moved (`deals`).
    #[serde(default)]
    pub deals: std::collections::BTreeMap<String, f64>,
}

async fn export(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let request: ExportRequest = match json(&body) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let result = tokio::task::spawn_blocking(move || -> Result<String, Problem> {
        let text = app.document(request.draws, request.scenarios, request.deals, true)?;
        crate::scenario::parse(&app.path, &text, String::new()).map_err(|e| {
            Problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the exported scenarios would not load: {e}"),
            )
        })?;
        Ok(text)
    })
    .await;
    match result {
        Ok(Ok(text)) => {
            #[derive(Serialize)]
            struct Exported {
                text: String,
            }
            axum::Json(Exported { text }).into_response()
        }
        Ok(Err(p)) => p.into_response(),
        Err(e) => Problem(StatusCode::INTERNAL_SERVER_ERROR, format!("exporting failed: {e}")).into_response(),
    }
}

/// A server running on its own thread (for the command and for tests).
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stops the server and waits for it.
    pub fn stop(mut self) -> std::io::Result<()> {
        self.finish()
    }

    /// Waits until the server stops (it stops on Ctrl-C when `ctrl_c` was set).
    pub fn wait(mut self) -> std::io::Result<()> {
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the server thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// Binds `addr` (port 0 for any free port) and serves `app` on a thread of
/// its own; with `ctrl_c`, also stops on Ctrl-C. `extra_hosts` are host
/// names the server also answers to (from --allow-host).
pub fn start(mut app: App, addr: SocketAddr, extra_hosts: &[String], ctrl_c: bool) -> std::io::Result<Running> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(addr))?;
    let bound = listener.local_addr()?;
    app.allow_hosts(bound, extra_hosts);
    let limits = app.limits.clone();
    let router = router(Arc::new(app));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        runtime.block_on(async move {
            let stop = async move {
                if ctrl_c {
                    tokio::select! {
                        _ = rx => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                } else {
                    let _ = rx.await;
                }
            };
            connections::serve(listener, router, &limits, stop).await
        })
    });
    Ok(Running {
        addr: bound,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}

/// The maturity matrix for the page's rating tab, and the assessment to
/// start from (the file's current one, if `[maturity]` lists any).
async fn maturity_info(State(app): State<Arc<App>>) -> Response {
    let matrix = crate::maturity::Matrix::default();
    let units: Vec<serde_json::Value> = matrix
        .units
        .iter()
        .map(|u| {
            serde_json::json!({
                "code": u.code,
                "label": matrix.unit_label(u),
                "dimension": matrix.dimension_of(u).name,
                "criteria": matrix.criteria_of(&u.code).map(|c| serde_json::json!({
                    "code": c.code, "level": c.level, "summary": c.summary,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let current = app
        .loaded
        .maturity
        .as_ref()
        .and_then(|m| m.assessments.last())
        .map(|(_, a)| a.clone());
    axum::Json(serde_json::json!({
        "source": matrix.source,
        "levels": matrix.levels.iter().map(|l| l.name.clone()).collect::<Vec<_>>(),
        "units": units,
        "current": current,
    }))
    .into_response()
}

/// "Save the rating": the page's group rating as an assessment file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaturitySave {
    pub file: String,
    #[serde(default)]
    pub overwrite: bool,
    pub assessment: crate::maturity::Assessment,
}

async fn maturity_save(State(app): State<Arc<App>>, body: Bytes) -> Response {
    let request: MaturitySave = match json(&body) {
        Ok(r) => r,
        Err(p) => return p.into_response(),
    };
    let result = tokio::task::spawn_blocking(move || -> Result<PathBuf, Problem> {
        // The name first: nothing outside the save folder is looked at.
        save::check_name(&request.file).map_err(|e| Problem(StatusCode::BAD_REQUEST, e.to_string()))?;
        let matrix = crate::maturity::Matrix::default();
        let problems = request.assessment.problems(&matrix);
        if !problems.is_empty() {
            return Err(Problem(StatusCode::UNPROCESSABLE_ENTITY, problems.join("; ")));
        }
        // "Overwrite" replaces an assessment, never another kind of file
        // (such as the scenario file itself).
        let target = app.save_dir.join(&request.file);
        if request.overwrite && !app.overwrite_original && app.is_input(&target) && !is_assessment(&target, &matrix) {
            return Err(Problem(
                StatusCode::FORBIDDEN,
                format!("{} is the model's own file; choose another name", request.file),
            ));
        }
        if request.overwrite && std::fs::symlink_metadata(&target).is_ok() && !is_assessment(&target, &matrix) {
            return Err(Problem(
                StatusCode::CONFLICT,
                format!("{} exists and is not an assessment; choose another name", request.file),
            ));
        }
        let text = format!(
            "# A maturity matrix self-assessment saved from an `upstream serve` workshop.\n{}",
            toml::to_string(&request.assessment)
                .map_err(|e| Problem(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        );
        // The text must read back as the same assessment.
        let check = |_: &Path, text: &str| -> Result<(), String> {
            let a: crate::maturity::Assessment = toml::from_str(text).map_err(|e| e.to_string())?;
            if a == request.assessment {
                Ok(())
            } else {
                Err("the saved assessment would not read back the same".into())
            }
        };
        save::write_checked(&app.save_dir, &request.file, &text, request.overwrite, &check).map_err(|e| match e {
            save::SaveError::Refused(m) => Problem(StatusCode::BAD_REQUEST, m),
            save::SaveError::Conflict(m) => Problem(StatusCode::CONFLICT, m),
            save::SaveError::Failed(m) => Problem(StatusCode::INTERNAL_SERVER_ERROR, m),
        })
    })
    .await;
    match result {
        Ok(Ok(path)) => axum::Json(serde_json::json!({ "saved": path.display().to_string() })).into_response(),
        Ok(Err(p)) => p.into_response(),
        Err(e) => Problem(StatusCode::INTERNAL_SERVER_ERROR, format!("saving failed: {e}")).into_response(),
    }
}

/// Whether `path` is a plain file (not a link, folder, pipe or device) of
/// at most 1 MiB that reads as an assessment.
fn is_assessment(path: &Path, matrix: &crate::maturity::Matrix) -> bool {
    let plain = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= 1 << 20);
    plain && crate::maturity::Assessment::load(path, matrix).is_ok()
}

#[cfg(test)]
mod tests {
    /// The page colours money figures as the report does, from
    /// `charts::style`, and no hue of its own marks an error.
    #[test]
    fn the_page_colours_money_as_the_charts_do() {
        use crate::charts::style::{GAIN_TEXT, LOSS_TEXT, hex};
        assert!(super::PAGE.contains(&format!("--good: {};", hex(GAIN_TEXT))));
        assert!(super::PAGE.contains(&format!("--bad: {};", hex(LOSS_TEXT))));
        assert!(super::PAGE.contains("#status.error { background: var(--alert); }"));
    }
}
