//! Bounded decompression of what `IO.Compression.GzipStream` and `DeflateStream` would read:
//! output is capped by the layer size limit and by a ratio to the input, so a small bomb stops
//! early with its memory bounded. A stream that ends before its end marker is an error, not a
//! silently short result.

use super::Limits;
use flate2::{Decompress, FlushDecompress, Status};
use std::io::Read;

pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The most output allowed for `input_len` compressed bytes.
fn cap(input_len: usize, limits: &Limits) -> usize {
    limits
        .max_layer_bytes
        .min(input_len.saturating_mul(limits.max_ratio))
}

fn bomb(cap: usize) -> String {
    format!("decompression bomb: over {cap} bytes")
}

pub(crate) fn gunzip(input: &[u8], limits: &Limits) -> Result<Vec<u8>, String> {
    let cap = cap(input.len(), limits);
    let mut out = Vec::new();
    // One byte past the cap tells a bomb from a stream that is exactly at it.
    flate2::read::GzDecoder::new(input)
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("truncated or corrupt gzip: {e}"))?;
    if out.len() > cap {
        return Err(bomb(cap));
    }
    Ok(out)
}

/// Raw deflate, driven by hand: flate2's reader treats an early end of input as a normal end,
/// and only the decompressor's status says whether the final block was seen.
pub(crate) fn inflate_raw(input: &[u8], limits: &Limits) -> Result<Vec<u8>, String> {
    let cap = cap(input.len(), limits);
    let mut d = Decompress::new(false);
    let mut out: Vec<u8> = Vec::new();
    loop {
        if out.len() > cap {
            return Err(bomb(cap));
        }
        if out.len() == out.capacity() {
            let room = (cap + 1 - out.len()).min(out.len().max(4096));
            out.reserve_exact(room);
        }
        let (was_in, was_out) = (d.total_in(), d.total_out());
        let rest = usize::try_from(was_in)
            .ok()
            .and_then(|at| input.get(at..))
            .unwrap_or(&[]);
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .map_err(|e| format!("corrupt deflate data: {e}"))?;
        if out.len() > cap {
            return Err(bomb(cap));
        }
        if status == Status::StreamEnd {
            return Ok(out);
        }
        let stuck = d.total_in() == was_in && d.total_out() == was_out;
        if stuck && out.len() < out.capacity() {
            return Err("truncated deflate data: the stream has no final block".into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::{DeflateEncoder, GzEncoder};
    use flate2::Compression;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn round_trips_both_formats() {
        let text = b"$c = New-Object Net.WebClient; $c.DownloadString('http://x')";
        let limits = Limits::default();
        assert_eq!(gunzip(&gz(text), &limits).unwrap(), text);
        assert_eq!(inflate_raw(&deflate(text), &limits).unwrap(), text);
    }

    #[test]
    fn truncation_is_an_error() {
        let text = "no repetition here: 0123456789abcdefghijklmnopqrstuvwxyz".repeat(3);
        let limits = Limits::default();
        let z = gz(text.as_bytes());
        assert!(gunzip(&z[..z.len() - 6], &limits).is_err());
        let d = deflate(text.as_bytes());
        let err = inflate_raw(&d[..d.len() / 2], &limits).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        assert!(inflate_raw(&[0xff, 0xff, 0xff], &limits).is_err());
    }

    #[test]
    fn bombs_stop_at_the_ratio() {
        let zeros = vec![0u8; 1 << 20];
        let limits = Limits::default();
        let (z, d) = (gz(&zeros), deflate(&zeros));
        assert!(z.len() * 100 < zeros.len(), "the test needs a real bomb");
        assert!(gunzip(&z, &limits)
            .unwrap_err()
            .starts_with("decompression bomb"));
        assert!(inflate_raw(&d, &limits)
            .unwrap_err()
            .starts_with("decompression bomb"));
        let roomy = Limits {
            max_ratio: 10_000,
            ..Limits::default()
        };
        assert_eq!(gunzip(&z, &roomy).unwrap().len(), zeros.len());
        assert_eq!(inflate_raw(&d, &roomy).unwrap().len(), zeros.len());
    }
}
