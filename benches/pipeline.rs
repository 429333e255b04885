//! The pipeline benchmarks, one command, one table:
//!
//!     cargo bench --bench pipeline                  # 100 MB quick mode
//!     PSTRIAGE_BENCH_MB=1000 cargo bench --bench pipeline   # the 1 GB run
//!
//! Generates (once, cached under target/) a deterministic corpus, then measures, on the same
//! file and in the same run: the baselines (read the file, parse every line with serde_json and
//! nothing else, `rg -c` for the 19 API names), cold `scan` (ingest + index + rules, with peak
//! RSS), warm `scan` (saved index), `scan --stream`, rule evaluation alone on the open index,
//! open-to-first-frame from the saved index, and a TUI key press on 100,000 alerts. Ratios to the parse-only floor are the
//! headline. See benches/README.md for the latest table.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/frame.rs"]
mod frame;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::io::{BufRead, BufReader, BufWriter, Read};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

const API_NAMES: &[&str] = &[
    "VirtualAlloc",
    "VirtualAllocEx",
    "VirtualProtect",
    "LdrLoadDll",
    "LoadLibrary",
    "LoadLibraryA",
    "LoadLibraryEx",
    "GetProcAddress",
    "OpenProcess",
    "OpenProcessToken",
    "AdjustTokenPrivileges",
    "WriteProcessMemory",
    "CreateRemoteThread",
    "NtCreateThreadEx",
    "CreateThread",
    "QueueUserAPC",
    "SuspendThread",
    "ResumeThread",
    "GetDelegateForFunctionPointer",
];

fn corpus(mb: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpus");
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let path = dir.join(format!("corpus-{mb}mb-seed4104.ndjson"));
    if !path.exists() {
        let tmp = path.with_extension("tmp");
        let mut w = BufWriter::new(std::fs::File::create(&tmp).expect("corpus file"));
        let n = corpus::write(&mut w, 4104, mb * 1_000_000).expect("corpus written");
        drop(w);
        std::fs::rename(&tmp, &path).expect("corpus renamed");
        eprintln!("generated {} ({n} events)", path.display());
    }
    path
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

/// Peak memory of a run: the kernel's high-water mark of the whole RSS (`VmHWM`, file pages
/// of the mapped index included) and the largest anonymous RSS seen when sampled every 50 ms
/// (the memory the process itself allocated).
struct Memory {
    peak_rss_kb: u64,
    peak_anon_kb: u64,
}

impl Memory {
    fn describe(&self) -> String {
        format!(
            "peak RSS {} MB ({} MB anonymous)",
            self.peak_rss_kb / 1024,
            self.peak_anon_kb / 1024
        )
    }
}

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`.
fn process_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) start at its closing paren.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; the clock
    // ticks 100 times a second on Linux.
    (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
}

/// What the cold indexed scan cannot go below (issue 11's target: ≤ 1.5× the stream): the
/// stream's own work in this process, then tantivy indexing nothing but every event's script
/// text (its default tokenizer, terms without frequencies or positions, nothing stored, the
/// writer threads the build uses), with the texts already in memory. Wall and CPU seconds: on
/// two cores a one-pass build can at best overlap the two, so its wall time is at least their
/// summed CPU over the cores.
fn cold_floor_rows(file: &Path, dir: &Path) -> Vec<(String, String, String)> {
    use tantivy::schema::{IndexRecordOption, Schema, TextFieldIndexing, TextOptions};
    let cores = pstriage::threads::workers();
    let opts = pstriage::session::LoadOptions {
        paths: vec![file.to_path_buf()],
        ..Default::default()
    };
    let rules = pstriage::rule::bundled();
    let mut report = Default::default();
    let inputs = pstriage::ingest::collect_inputs(&opts.paths, &mut report);
    let (cpu0, t) = (process_cpu(), Instant::now());
    let streamed = pstriage::detect::stream(
        &inputs,
        &rules,
        opts.analyzer,
        None,
        None,
        &AtomicBool::new(false),
    )
    .expect("stream");
    let (stream_wall, stream_cpu) = (t.elapsed(), process_cpu() - cpu0);
    drop(streamed);

    let texts: Vec<String> = BufReader::new(std::fs::File::open(file).expect("corpus"))
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line).ok()?;
            let text = v.pointer("/powershell/file/script_block_text")?;
            Some(text.as_str()?.to_owned())
        })
        .collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut schema = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer("default")
        .set_index_option(IndexRecordOption::Basic);
    let script = schema.add_text_field(
        "script",
        TextOptions::default().set_indexing_options(indexing),
    );
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("floor index dir");
    let index = tantivy::Index::create_in_dir(dir, schema.build()).expect("floor index");
    let (cpu0, t) = (process_cpu(), Instant::now());
    let mut writer: tantivy::IndexWriter<tantivy::TantivyDocument> = index
        .writer_with_num_threads(cores, 256 << 20)
        .expect("writer");
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    for text in &texts {
        writer
            .add_document(tantivy::doc!(script => text.as_str()))
            .expect("add");
    }
    writer.commit().expect("commit");
    drop(writer);
    let (floor_wall, floor_cpu) = (t.elapsed(), process_cpu() - cpu0);
    let best_cold = (stream_cpu + floor_cpu) / cores as f64;
    vec![
        (
            "stream in process (floor rows: bundled rules, no output)".into(),
            format!("{:.3} s · CPU {:.2} s", secs(stream_wall), stream_cpu),
            String::new(),
        ),
        (
            format!(
                "tantivy alone: {} script texts ({:.0} MB), default tokenizer, nothing stored, {cores} writer threads",
                texts.len(),
                bytes as f64 / 1e6
            ),
            format!("{:.3} s · CPU {:.2} s", secs(floor_wall), floor_cpu),
            format!(
                "a cold scan needs ≥ {:.3} s on {cores} cores = {:.2}× the stream",
                best_cold,
                best_cold / secs(stream_wall)
            ),
        ),
    ]
}

/// The middle of a few timings.
fn median(runs: &mut [Duration]) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

/// Runs the release binary, returning wall time, its memory and its stderr.
fn run_bin(args: &[&str], index: &Path, file: &Path) -> (Duration, Memory, String) {
    let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/pstriage");
    let mut child = Command::new(&bin)
        .args(args)
        .arg("--index")
        .arg(index)
        .arg(file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pstriage runs (build it with cargo build --release)");
    let t = Instant::now();
    let pid = child.id();
    let mut stderr = String::new();
    let mut pipe = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = pipe.read_to_string(&mut s);
        s
    });
    let mut mem = Memory {
        peak_rss_kb: 0,
        peak_anon_kb: 0,
    };
    loop {
        if let Some(hwm) = status_kb(pid, "VmHWM:") {
            mem.peak_rss_kb = mem.peak_rss_kb.max(hwm);
        }
        if let Some(anon) = status_kb(pid, "RssAnon:") {
            mem.peak_anon_kb = mem.peak_anon_kb.max(anon);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = t.elapsed();
    stderr.push_str(&reader.join().expect("stderr reader"));
    (took, mem, stderr)
}

/// The hunting queries measured: an exact term query, a phrase, a keyword, a date range with a
/// term, and a bare value (every field: the evaluator reads every event).
const HUNTS: &[&str] = &[
    "powershell.file.script_block_text:(VirtualAllocEx and CreateRemoteThread)",
    "powershell.file.script_block_text:\"Runtime.InteropServices.Marshal\"",
    "host.name:ws-042",
    "@timestamp >= \"2024-05-25\" and powershell.file.script_block_text:IEX",
    "VirtualAlloc",
];

/// The Decoded tab on a 1 MB script: a loader whose base64 literal holds ~700 KB of script,
/// from pressing `6` to the tab's data being ready.
fn decoded_tab_row() -> (String, String, String) {
    let inner: String = (0..12_000)
        .map(|i| format!("Write-Host 'line {i}'; $x = [K32]::VirtualAlloc(0, {i}, 0x3000, 0x40)\n"))
        .collect();
    let b64 = {
        const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes = inner.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut g = [0u8; 3];
            g[..chunk.len()].copy_from_slice(chunk);
            let n = (usize::from(g[0]) << 16) | (usize::from(g[1]) << 8) | usize::from(g[2]);
            for (k, c) in [n >> 18, (n >> 12) & 63, (n >> 6) & 63, n & 63]
                .iter()
                .enumerate()
            {
                out.push(if k <= chunk.len() {
                    ABC[*c] as char
                } else {
                    '='
                });
            }
        }
        out
    };
    let script =
        format!("IEX ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('{b64}')))");
    let doc = serde_json::json!({
        "@timestamp": "2024-05-20T10:00:00Z",
        "event": {"category": "process", "code": "4104"},
        "host": {"name": "h", "os": {"type": "windows"}},
        "powershell": {"file": {"script_block_text": script, "script_block_id": "big"}},
    });
    let tmp = tempfile::tempdir().expect("temp");
    let file = tmp.path().join("big.ndjson");
    std::fs::write(&file, format!("{doc}\n")).expect("write");
    let opts = pstriage::session::LoadOptions {
        paths: vec![file],
        index_dir: Some(tmp.path().join("idx")),
        ..Default::default()
    };
    let ws = pstriage::session::load_workspace(&opts, &mut |_| {}, &AtomicBool::new(false))
        .expect("workspace");
    let event = pstriage::event::Event {
        doc: doc.as_object().expect("an object").clone(),
        es_id: None,
        es_index: None,
        source: Default::default(),
    };
    let (view, d) = time(|| pstriage::tui::layers::compute(&ws, &event));
    (
        format!(
            "Decoded tab on a {:.1} MB script",
            script.len() as f64 / 1e6
        ),
        format!("{:.1} ms · {} layers", secs(d) * 1000.0, view.layers.len()),
        String::new(),
    )
}

fn key(c: char) -> pstriage::tui::app::Msg {
    pstriage::tui::app::Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), 0)
}

/// `scan --stream` with the rules of `dir` added against the bundled rules alone: medians of
/// three alternated runs, and the peak memory of each.
fn more_rules_rows(file: &Path, dir: &Path, unused: &Path) -> Vec<(String, String, String)> {
    let dir_arg = dir.to_str().expect("a UTF-8 path");
    let (mut two, mut more) = (Vec::new(), Vec::new());
    let (mut two_mem, mut more_mem, mut said) = (None, None, String::new());
    for _ in 0..3 {
        let (d, m, _) = run_bin(&["scan", "--stream"], unused, file);
        two.push(d);
        two_mem = Some(m);
        let (d, m, err) = run_bin(&["scan", "--stream", "--rules", dir_arg], unused, file);
        more.push(d);
        more_mem = Some(m);
        said = err;
    }
    let (two, more) = (median(&mut two), median(&mut more));
    let (two_mem, more_mem) = (two_mem.expect("ran"), more_mem.expect("ran"));
    // The summary line: "…; N alerts from M rules in …".
    let summary = said.lines().last().unwrap_or_default();
    let counts = summary.rsplit(';').next().unwrap_or_default().trim();
    vec![
        (
            "scan --stream, bundled rules (median of 3, alternated)".into(),
            format!("{:.3} s · {}", secs(two), two_mem.describe()),
            "1.00×".into(),
        ),
        (
            format!("scan --stream --rules {} ({counts})", dir.display()),
            format!("{:.3} s · {}", secs(more), more_mem.describe()),
            format!(
                "{:.2}× time, {:.2}× peak RSS",
                secs(more) / secs(two),
                more_mem.peak_rss_kb as f64 / two_mem.peak_rss_kb.max(1) as f64
            ),
        ),
    ]
}

/// A cold TUI load as its loader runs it (rules, then the one pass on a new index with a
/// listener): the first phase, every batch of alerts heard with when it was heard, and how
/// long the first phase took.
struct ListenedLoad {
    loaded: pstriage::session::FirstPhase,
    batches: Vec<(Duration, Vec<pstriage::alert::Alert>)>,
    started: Instant,
    ready: Duration,
}

fn listened_load(file: &Path, index: &Path, rules_dir: Option<&Path>) -> ListenedLoad {
    let opts = pstriage::session::LoadOptions {
        paths: vec![file.to_path_buf()],
        index_dir: Some(index.to_path_buf()),
        rule_paths: rules_dir.map(Path::to_path_buf).into_iter().collect(),
        ..Default::default()
    };
    let batches = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    let rules = pstriage::session::load_rules(&opts).expect("rules");
    let found = |alerts: &[pstriage::alert::Alert]| {
        let heard = (started.elapsed(), alerts.to_vec());
        batches.lock().expect("lock").push(heard);
    };
    let loaded = pstriage::session::first_phase(
        &opts,
        rules,
        &mut |_| {},
        Some(&found),
        &AtomicBool::new(false),
    )
    .expect("load");
    let ready = started.elapsed();
    let batches = batches.into_inner().expect("lock");
    let heard: usize = batches.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(
        heard,
        loaded.ws.alerts.len(),
        "every alert is heard while loading"
    );
    ListenedLoad {
        loaded,
        batches,
        started,
        ready,
    }
}

/// The TUI list growing while loading: every batch of alerts `load` heard, replayed into an
/// `App` as `Msg::Found` (each one re-sorts and re-filters the list); the update time alone.
fn list_growth_row(load: &ListenedLoad, rules: &str) -> (String, String, String) {
    use pstriage::tui::app::{App, Msg};
    let ws = &load.loaded.ws;
    let provisional = pstriage::workspace::Workspace::provisional(ws.rules.clone(), ws.analyzer);
    let mut app = App::new(pstriage::triage::Book::default(), None, false);
    app.update(Msg::Resize(120, 40));
    app.update(Msg::Started(Box::new(provisional)));
    let (n, count) = (load.batches.len(), ws.alerts.len());
    let mut each: Vec<Duration> = Vec::with_capacity(n);
    for (_, batch) in &load.batches {
        let batch = batch.clone();
        let t = Instant::now();
        app.update(Msg::Found(batch));
        each.push(t.elapsed());
    }
    let total: Duration = each.iter().sum();
    let worst = each.iter().max().copied().unwrap_or_default();
    (
        format!("TUI list growing while loading ({rules}): {n} batches, {count} alerts"),
        format!(
            "update total {:.3} s · median {:.2} ms · worst {:.2} ms",
            secs(total),
            secs(median(&mut each)) * 1000.0,
            secs(worst) * 1000.0
        ),
        String::new(),
    )
}

/// A cold TUI load: when the first alert could be listed, when the last was heard, when the
/// workspace (index committed) was ready, and when the later phases were done, as ratios to
/// the streaming scan `stream`; then the list's growth replayed.
fn tui_cold_rows(file: &Path, index: &Path, stream: Duration) -> Vec<(String, String, String)> {
    let load = listened_load(file, index, None);
    let (loaded, ready) = (&load.loaded, load.ready);
    // Then what the loader does next: the second phase, and the decoded pass unless the one
    // pass made it on its way.
    let second = loaded.ws.second_phase();
    let scripts = second.run(&loaded.ds).expect("second phase").scripts;
    if loaded.decoded.is_none() {
        second.decode(&loaded.ds, &scripts).expect("decoded pass");
    }
    let complete = load.started.elapsed();
    // The same load without a listener, as the TUI loaded before the one pass: build, the
    // index's candidates, the second phase, the decoded pass reading every block back.
    let before = {
        let opts = pstriage::session::LoadOptions {
            paths: vec![file.to_path_buf()],
            index_dir: Some(index.with_extension("before")),
            ..Default::default()
        };
        let started = Instant::now();
        let (ws, ds) =
            pstriage::session::load_first_phase(&opts, &mut |_| {}, &AtomicBool::new(false))
                .expect("load");
        let second = ws.second_phase();
        let scripts = second.run(&ds).expect("second phase").scripts;
        second.decode(&ds, &scripts).expect("decoded pass");
        started.elapsed()
    };
    let first = load.batches.first().map_or(ready, |(t, _)| *t);
    let last = load.batches.iter().map(|(t, _)| *t).max().unwrap_or(ready);
    let count = loaded.ws.alerts.len();
    let vs = |d: Duration| format!("{:.2}× scan --stream", secs(d) / secs(stream));
    vec![
        (
            "TUI cold: first alert row (one pass, new index)".into(),
            format!("{:.3} s", secs(first)),
            vs(first),
        ),
        (
            format!("TUI cold: all {count} alerts listed"),
            format!("{:.3} s", secs(last)),
            vs(last),
        ),
        (
            "TUI cold: index committed, header facts shown".into(),
            format!("{:.3} s", secs(ready)),
            vs(ready),
        ),
        (
            "TUI cold: everything loaded (scripts reassembled, timeline counts, decoded layers)"
                .into(),
            format!(
                "{:.3} s (without the one pass: {:.3} s)",
                secs(complete),
                secs(before)
            ),
            vs(complete),
        ),
        list_growth_row(&load, "bundled rules"),
    ]
}

fn main() {
    let mb: u64 = std::env::var("PSTRIAGE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let file = corpus(mb);
    let size = std::fs::metadata(&file).expect("corpus").len();
    let mbs = |d: Duration| size as f64 / 1e6 / secs(d);
    let mut rows: Vec<(String, String, String)> = Vec::new();

    // Baselines.
    let (_, read) = time(|| {
        let mut f = std::fs::File::open(&file).expect("open");
        let mut buf = vec![0u8; 1 << 20];
        while f.read(&mut buf).expect("read") > 0 {}
    });
    // The floor is measured again right before each long measurement, which is then compared
    // with that adjacent floor: the speed of these shared machines drifts over minutes.
    let parse_floor = || {
        time(|| {
            let r = BufReader::with_capacity(1 << 20, std::fs::File::open(&file).expect("open"));
            let mut n = 0u64;
            for line in r.lines() {
                let v: serde_json::Value =
                    serde_json::from_str(&line.expect("line")).expect("json");
                std::hint::black_box(&v);
                n += 1;
            }
            n
        })
    };
    let (events, parse) = parse_floor();
    let adjacent = |d: Duration, floor: Duration| {
        format!(
            "{:.2}× parse (floor just before: {:.3} s)",
            secs(d) / secs(floor),
            secs(floor)
        )
    };
    let rg_time = {
        let t = Instant::now();
        let out = Command::new("rg")
            .arg("-c")
            .arg(format!("\\b({})\\b", API_NAMES.join("|")))
            .arg(&file)
            .output();
        out.ok().filter(|o| o.status.success()).map(|_| t.elapsed())
    };
    let ratio = |d: Duration| format!("{:.2}× parse", secs(d) / secs(parse));
    rows.push((
        "read file (baseline)".into(),
        format!("{:.3} s · {:.0} MB/s", secs(read), mbs(read)),
        ratio(read),
    ));
    rows.push((
        "serde_json parse only (floor)".into(),
        format!(
            "{:.3} s · {:.0} MB/s · {:.0} events/s",
            secs(parse),
            mbs(parse),
            events as f64 / secs(parse)
        ),
        "1.00× parse".into(),
    ));
    if let Some(d) = rg_time {
        rows.push((
            "rg -c for the 19 API names".into(),
            format!("{:.3} s · {:.0} MB/s", secs(d), mbs(d)),
            ratio(d),
        ));
    }

    // Cold scan, warm scan, streaming scan (the release binary).
    let tmp = tempfile::tempdir().expect("temp");
    let index = tmp.path().join("idx");
    let (_, floor) = parse_floor();
    let (cold, rss, err) = run_bin(&["scan"], &index, &file);
    assert!(err.contains("index built"), "{err}");
    rows.push((
        "cold scan (ingest + index + rules)".into(),
        format!(
            "{:.3} s · {:.0} MB/s · {:.0} events/s · {}",
            secs(cold),
            mbs(cold),
            events as f64 / secs(cold),
            rss.describe()
        ),
        adjacent(cold, floor),
    ));
    let (warm, _, err) = run_bin(&["scan"], &index, &file);
    assert!(err.contains("index reused"), "{err}");
    rows.push((
        "warm scan (saved index)".into(),
        format!("{:.3} s", secs(warm)),
        ratio(warm),
    ));
    // A hunt from the command line on the saved index: a new process each time (start, index
    // open, query, output), as an analyst runs it.
    for q in [HUNTS[0], HUNTS[2]] {
        let bin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/pstriage");
        let t = Instant::now();
        let out = Command::new(&bin)
            .args(["search", "--count", q, "--index"])
            .arg(&index)
            .arg(&file)
            .output()
            .expect("pstriage search runs");
        let took = t.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        rows.push((
            format!("search --count, new process, saved index: `{q}`"),
            format!(
                "{:.0} ms · {} events",
                secs(took) * 1000.0,
                String::from_utf8_lossy(&out.stdout).trim()
            ),
            ratio(took),
        ));
    }
    let (_, floor) = parse_floor();
    let (stream, srss, _) = run_bin(&["scan", "--stream"], &tmp.path().join("unused"), &file);
    rows.push((
        "scan --stream (no index)".into(),
        format!(
            "{:.3} s · {:.0} MB/s · {}",
            secs(stream),
            mbs(stream),
            srss.describe()
        ),
        adjacent(stream, floor),
    ));
    // Decoding while streaming (issue 12): the stream with and without --decoded, runs
    // alternated so the machine's noise falls on both alike; medians of three.
    let (mut plain, mut decoding, mut decoding_rss) = (Vec::new(), Vec::new(), None);
    for _ in 0..3 {
        plain.push(run_bin(&["scan", "--stream"], &tmp.path().join("unused"), &file).0);
        let (d, rss, _) = run_bin(
            &["scan", "--stream", "--decoded"],
            &tmp.path().join("unused"),
            &file,
        );
        decoding.push(d);
        decoding_rss = Some(rss);
    }
    let (plain, decoding) = (median(&mut plain), median(&mut decoding));
    rows.push((
        "scan --stream --decoded (median of 3, alternated with scan --stream)".into(),
        format!(
            "{:.3} s against {:.3} s · {}",
            secs(decoding),
            secs(plain),
            decoding_rss.map(|r| r.describe()).unwrap_or_default()
        ),
        format!("{:.2}× scan --stream", secs(decoding) / secs(plain)),
    ));

    // What a cold scan cannot go below (issue 11).
    rows.extend(cold_floor_rows(&file, &tmp.path().join("floor-idx")));

    // More rules (issue 11): `PSTRIAGE_BENCH_RULES` names a directory of detection-rules TOML
    // (Elastic's own are not in this repository), streamed against the bundled two, alternated.
    if let Some(dir) = std::env::var_os("PSTRIAGE_BENCH_RULES") {
        rows.extend(more_rules_rows(
            &file,
            Path::new(&dir),
            &tmp.path().join("unused"),
        ));
    }

    // The TUI's cold start (issue 11), in process as its loader runs it: the rules, then the
    // one pass on a new index, alerts handed on as found; against the median stream above.
    rows.extend(tui_cold_rows(&file, &tmp.path().join("tui-idx"), plain));
    if let Some(dir) = std::env::var_os("PSTRIAGE_BENCH_RULES") {
        let dir = Path::new(&dir);
        let load = listened_load(&file, &tmp.path().join("growth-rules-idx"), Some(dir));
        rows.push(list_growth_row(&load, &dir.display().to_string()));
    }

    // Rule evaluation alone on the open index, and open-to-first-frame.
    let opts = pstriage::session::LoadOptions {
        paths: vec![file.clone()],
        index_dir: Some(index.clone()),
        ..Default::default()
    };
    let ds =
        pstriage::session::open_dataset(&opts, &mut |_| {}, &AtomicBool::new(false)).expect("open");
    let rules = pstriage::rule::bundled();
    let per_m = |d: Duration| secs(d) * 1e6 / events as f64 * 1000.0;
    for (i, r) in rules.iter().enumerate() {
        // The index query alone: for an exact query its hits are the matches.
        let (hits, q) = time(|| {
            let n = ds.count_candidates(&r.expr).expect("query runs");
            (n, ds.candidates(&r.expr).expect("query runs").exact)
        });
        rows.push((
            format!("rule {} index query alone", i + 1),
            format!(
                "{:.1} ms ({:.1} ms per 1M events) · {} {}",
                secs(q) * 1000.0,
                per_m(q),
                hits.0,
                if hits.1 {
                    "matches (exact query)"
                } else {
                    "candidates (phrases confirmed by the evaluator)"
                }
            ),
            String::new(),
        ));
        let (alerts, d) =
            time(|| pstriage::detect::run(&ds, std::slice::from_ref(r)).expect("rule runs"));
        rows.push((
            format!("rule {} alone, every alert built", i + 1),
            format!(
                "{:.3} s ({:.0} ms per 1M events) · {} alerts · {}",
                secs(d),
                per_m(d),
                alerts.len(),
                r.meta.name
            ),
            String::new(),
        ));
    }
    // Hunting on the open index: counting (nothing loaded when the index answers exactly), and
    // what the hunt view needs before its first frame (the first 10,000 events, loaded and
    // explained, then one update + render).
    for q in HUNTS {
        let hunt = pstriage::hunt::Hunt::parse(q).expect("query parses");
        let (n, d) = time(|| pstriage::hunt::count(&ds, &hunt).expect("count"));
        rows.push((
            format!("hunt count `{q}`"),
            format!(
                "{:.1} ms ({:.1} ms per 1M events) · {n} events",
                secs(d) * 1000.0,
                per_m(d)
            ),
            String::new(),
        ));
    }
    {
        use pstriage::tui::app::{App, Effect, Msg};
        let (ws, _) =
            pstriage::session::load_first_phase(&opts, &mut |_| {}, &AtomicBool::new(false))
                .expect("workspace");
        let mut app = App::new(pstriage::triage::Book::default(), None, false);
        app.update(Msg::Resize(120, 40));
        app.update(Msg::Loaded(Box::new(ws)));
        app.update(key('H'));
        for c in HUNTS[0].chars() {
            app.update(key(c));
        }
        let effects = app.update(Msg::Key(
            KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
            0,
        ));
        let Some(Effect::Hunt { generation, hunt }) = effects.into_iter().next() else {
            panic!("Enter runs the query");
        };
        let mut t =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("backend");
        let (total, d) = time(|| {
            let found = pstriage::hunt::run(&ds, &hunt, Some(10_000)).expect("hunt");
            let total = found.total;
            app.update(Msg::HuntDone {
                generation,
                result: Ok(found),
                took_ms: 0,
            });
            t.draw(|f| pstriage::tui::views::render(&app, f))
                .expect("draw");
            total
        });
        rows.push((
            "hunt view: Enter to the first frame of results".into(),
            format!(
                "{:.1} ms · {total} events (the first 10,000 loaded) · `{}`",
                secs(d) * 1000.0,
                HUNTS[0]
            ),
            String::new(),
        ));
    }
    // Decoding (issue 12): the decoder alone over every script text held in memory, and the
    // whole decoded pass on the index (load, reassemble, decode, run the rules on the layers,
    // link them), against the median streaming scan above.
    {
        let texts: Vec<String> = ds
            .script_events()
            .expect("script events")
            .into_iter()
            .filter_map(|a| {
                let e = ds.event(a).ok()?;
                pstriage::ecs::Fields::of_lenient(&e.doc)
                    .first(pstriage::ecs::names::SCRIPT_BLOCK_TEXT)
            })
            .collect();
        let limits = pstriage::decode::Limits::default();
        let (layered, d) = time(|| {
            texts
                .iter()
                .filter(|t| !pstriage::decode::decode(t, &limits).layers.is_empty())
                .count()
        });
        rows.push((
            "decoder alone, every script text (in memory, one thread)".into(),
            format!(
                "{:.3} s · {} texts, {layered} with layers",
                secs(d),
                texts.len()
            ),
            format!("{:.1} % of scan --stream", secs(d) * 100.0 / secs(plain)),
        ));
        let (pass, d) = time(|| {
            let scripts = pstriage::detect::scripts(&ds).expect("scripts");
            pstriage::detect::decoded_pass(&ds, &rules, &scripts, &limits).expect("pass")
        });
        rows.push((
            "decoded pass (load + reassemble + decode + rules + links)".into(),
            format!(
                "{:.3} s · {} decoded-layer findings, {} layers logged again",
                secs(d),
                pass.findings.len(),
                pass.decoded_from.len()
            ),
            format!("{:.1} % of scan --stream", secs(d) * 100.0 / secs(plain)),
        ));
        rows.push(decoded_tab_row());
    }
    drop(ds);
    let (_, first_frame) = time(|| {
        // What the TUI does before its first frame: the first loading phase (reassembled
        // scripts and the timeline's event index arrive afterwards).
        let (ws, _ds) =
            pstriage::session::load_first_phase(&opts, &mut |_| {}, &AtomicBool::new(false))
                .expect("workspace");
        let mut app = pstriage::tui::app::App::new(pstriage::triage::Book::default(), None, false);
        app.update(pstriage::tui::app::Msg::Resize(120, 40));
        app.update(pstriage::tui::app::Msg::Loaded(Box::new(ws)));
        let mut t =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).expect("backend");
        t.draw(|f| pstriage::tui::views::render(&app, f))
            .expect("draw");
    });
    rows.push((
        "open to first frame (saved index)".into(),
        format!("{:.3} s", secs(first_frame)),
        String::new(),
    ));

    let f = frame::measure();
    rows.push((
        format!(
            "TUI key press on {} alerts (update + render, 120×40)",
            frame::ALERTS
        ),
        format!("median {:.2?} · p99 {:.2?}", f.key_median, f.key_p99),
        format!(
            "render alone: median {:.2?} · p99 {:.2?}",
            f.render_median, f.render_p99
        ),
    ));

    println!(
        "\ncorpus: {} ({:.1} MB, {events} events)\n",
        file.display(),
        size as f64 / 1e6
    );
    println!("| measure | result | ratio |\n|---|---|---|");
    for (a, b, c) in rows {
        println!("| {a} | {b} | {c} |");
    }
}
