//! Frame time of one key press on 100,000 alerts (see `common/frame.rs`).
//!
//!     cargo bench --bench tui_frame

#[path = "common/frame.rs"]
mod frame;

fn main() {
    let f = frame::measure();
    println!(
        "tui frame on {} alerts, 120x40, {} presses",
        frame::ALERTS,
        frame::PRESSES
    );
    println!("| measure | median | p99 |\n|---|---|---|");
    println!(
        "| render only (baseline) | {:.2?} | {:.2?} |",
        f.render_median, f.render_p99
    );
    println!(
        "| key press: update + render | {:.2?} | {:.2?} |",
        f.key_median, f.key_p99
    );
}
