//! Where an index lives and when it is reused: one directory per input set (paths, sizes,
//! mtimes) and analyzer, under the user's cache directory or `--index DIR`. A `manifest.json`
//! written after the final commit marks a complete index; without it the directory is rebuilt.

use super::build::{build, BuildError, Tap};
use super::dataset::Dataset;
use super::schema::{fields_of, register, SCHEMA_VERSION};
use super::verified;
use crate::analysis::Analyzer;
use crate::event::hex;
use crate::i18n::{t, tf};
use crate::ingest::{IngestError, IngestReport, InputFile, Progress};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use tantivy::{Index, IndexReader, ReloadPolicy, Searcher};

const MANIFEST: &str = "manifest.json";

/// What an index was built from, and what the load reported.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub key: String,
    pub schema_version: u32,
    pub analyzer: String,
    pub inputs: Vec<InputFile>,
    pub report: IngestReport,
    pub events: u64,
}

/// How to open.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    pub analyzer: Analyzer,
    /// `--index DIR`: use exactly this directory.
    pub index_dir: Option<PathBuf>,
    /// Root of the cache (defaults to the XDG cache dir); tests point it at a temp dir.
    pub cache_root: Option<PathBuf>,
}

/// Why a dataset could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error("{}", tf("errors.index_dir", &[("path", &.0.display()), ("why", &.1)]))]
    Io(PathBuf, std::io::Error),
    #[error("{}", tf("errors.index_foreign", &[("path", &.0.display())]))]
    Foreign(PathBuf),
    #[error("{}", t("errors.no_cache_dir"))]
    NoCacheDir,
    #[error("{}", tf("errors.index", &[("why", &.0)]))]
    Index(#[from] tantivy::TantivyError),
}

impl From<BuildError> for OpenError {
    fn from(e: BuildError) -> Self {
        match e {
            BuildError::Ingest(i) => OpenError::Ingest(i),
            BuildError::Index(i) => OpenError::Index(i),
        }
    }
}

/// `$XDG_CACHE_HOME/pstriage` (or the platform's cache dir).
pub fn default_cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("pstriage"))
}

/// The cache key of an input set: schema version, analyzer, and each file's canonical path,
/// size and mtime.
fn key_of(inputs: &[InputFile], analyzer: Analyzer) -> String {
    let mut h = Sha256::new();
    h.update(format!("v{SCHEMA_VERSION}\0{}\0", analyzer.name()));
    for f in inputs {
        let canonical = fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
        h.update(canonical.to_string_lossy().as_bytes());
        h.update(format!("\0{}\0{}\0", f.size, f.mtime_ns));
    }
    hex(&h.finalize()[..12])
}

/// Opens the index of `inputs`, building it when it is missing, stale or incomplete.
/// `report` holds what resolving the paths already reported; it is kept in the manifest.
/// When the index is built, `tap` gets every event it indexes, in reading order, as it is
/// indexed (the one pass: rules run on them while the index is written); a reused index
/// taps nothing (`Dataset::reused`).
pub fn open_or_build(
    inputs: &[InputFile],
    report: IngestReport,
    opts: &OpenOptions,
    progress: &mut dyn FnMut(&Progress),
    tap: &mut dyn Tap,
    cancel: &AtomicBool,
) -> Result<Dataset, OpenError> {
    let key = key_of(inputs, opts.analyzer);
    let dir = match &opts.index_dir {
        Some(d) => d.clone(),
        None => {
            let root = opts
                .cache_root
                .clone()
                .or_else(default_cache_root)
                .ok_or(OpenError::NoCacheDir)?;
            root.join("index").join(&key)
        }
    };
    let mut rebuilt_because = None;
    if let Some(manifest) = read_manifest(&dir).filter(|m| m.key == key) {
        match open_existing(&dir, manifest, opts.analyzer) {
            Ok(ds) => return Ok(ds),
            Err(e) => {
                rebuilt_because = Some(format!(
                    "the index in {} is damaged ({e}); rebuilt from the exports",
                    dir.display()
                ))
            }
        }
    } else if dir.join("meta.json").exists() {
        rebuilt_because = Some(format!(
            "the index in {} is stale or incomplete; rebuilt from the exports",
            dir.display()
        ));
    }
    if inputs.is_empty() {
        return Err(OpenError::Ingest(IngestError::NoInput(report.diagnostics)));
    }
    prepare_empty(&dir)?;
    let (index, stats) = build(&dir, inputs, opts.analyzer, report, progress, tap, cancel)?;
    let manifest = Manifest {
        key,
        schema_version: SCHEMA_VERSION,
        analyzer: opts.analyzer.name().to_owned(),
        inputs: inputs.to_vec(),
        report: stats.report,
        events: stats.events,
    };
    write_manifest(&dir, &manifest)?;
    // tantivy wrote each file's checksum as it wrote the file: nothing to verify yet.
    verified::record(&dir);
    let fields = fields_of(&index.schema())?;
    Ok(Dataset {
        searcher: searcher_of(&index)?,
        fields,
        manifest,
        dir,
        reused: false,
        rebuilt_because,
        analyzer: opts.analyzer,
    })
}

/// The searcher of a finished index: nothing is written to it after it is opened, so one
/// searcher serves for the dataset's whole life.
fn searcher_of(index: &Index) -> tantivy::Result<Searcher> {
    let reader: IndexReader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok(reader.searcher())
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = fs::read_to_string(dir.join(MANIFEST)).ok()?;
    serde_json::from_str(&text).ok()
}

fn open_existing(dir: &Path, manifest: Manifest, analyzer: Analyzer) -> Result<Dataset, OpenError> {
    let index = Index::open_in_dir(dir)?;
    register(&index, analyzer);
    // Every file's checksum, unless no file changed since they last passed: a damaged segment
    // is found here, not halfway through a scan.
    if !verified::unchanged_since_verified(dir) {
        let bad = index.validate_checksum()?;
        if !bad.is_empty() {
            let names: Vec<String> = bad.iter().map(|p| p.display().to_string()).collect();
            return Err(OpenError::Index(tantivy::TantivyError::InvalidArgument(
                format!("checksum mismatch in {}", names.join(", ")),
            )));
        }
        verified::record(dir);
    }
    let fields = fields_of(&index.schema())?;
    let searcher = searcher_of(&index)?;
    if searcher.num_docs() != manifest.events {
        return Err(OpenError::Index(tantivy::TantivyError::InvalidArgument(
            "document count differs from the manifest".into(),
        )));
    }
    Ok(Dataset {
        searcher,
        fields,
        manifest,
        dir: dir.to_path_buf(),
        reused: true,
        rebuilt_because: None,
        analyzer,
    })
}

/// Makes `dir` an empty directory, removing an old pstriage index but never anything else.
fn prepare_empty(dir: &Path) -> Result<(), OpenError> {
    let io = |e| OpenError::Io(dir.to_path_buf(), e);
    if dir.exists() {
        let entries: Vec<_> = fs::read_dir(dir)
            .map_err(io)?
            .filter_map(Result::ok)
            .collect();
        let ours = entries.iter().any(|e| {
            let name = e.file_name();
            name == MANIFEST || name == "meta.json" || name == ".managed.json"
        });
        if !entries.is_empty() && !ours {
            return Err(OpenError::Foreign(dir.to_path_buf()));
        }
        for e in entries {
            let p = e.path();
            let r = if p.is_dir() {
                fs::remove_dir_all(&p)
            } else {
                fs::remove_file(&p)
            };
            r.map_err(io)?;
        }
    }
    fs::create_dir_all(dir).map_err(io)
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), OpenError> {
    let io = |e| OpenError::Io(dir.to_path_buf(), e);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(&serde_json::to_vec_pretty(manifest).unwrap_or_default())
        .map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, dir.join(MANIFEST)).map_err(io)
}
