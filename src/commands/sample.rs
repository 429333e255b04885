//! The bundled sample export, compiled into the binary so `pstriage` works from any directory.

use anyhow::Context;
use std::path::PathBuf;

const SAMPLE: &[u8] =
    include_bytes!("../../sample-data/winlogbeat-powershell-2024.05.20-22.ndjson");

/// Writes the bundled sample to the cache directory (once) and returns its path.
pub fn sample_data() -> anyhow::Result<PathBuf> {
    let dir = crate::index::default_cache_root()
        .context("no cache directory for the sample data")?
        .join("sample");
    let path = dir.join("winlogbeat-powershell-2024.05.20-22.ndjson");
    if std::fs::read(&path).ok().as_deref() != Some(SAMPLE) {
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        std::fs::write(&path, SAMPLE).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(path)
}
