//! `shipshape pin`.

use crate::cli::args::PinArgs;

pub fn run(args: &PinArgs) -> u8 {
    let _ = args;
    eprintln!("shipshape pin: not implemented yet");
    2
}
