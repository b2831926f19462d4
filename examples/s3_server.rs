//! A local S3 server for `benches/deploy.sh`: the same s3s + s3s-fs server the deploy tests
//! start, serving a folder (one sub-folder per bucket) on 127.0.0.1 until stopped.
//!
//! `cargo run --release --example s3_server -- DIR PORT`; access key and secret are the
//! tests' (`GAZETTETESTKEY` / see tests/common/s3.rs), for loopback use only.

#[path = "../tests/common/s3.rs"]
mod s3;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(port)) = (args.next(), args.next()) else {
        eprintln!("usage: s3_server DIR PORT");
        std::process::exit(2);
    };
    let port: u16 = port.parse().unwrap_or_else(|_| {
        eprintln!("PORT must be a number");
        std::process::exit(2);
    });
    let server = s3::S3Server::start(std::path::Path::new(&dir), port);
    println!("{}", server.endpoint());
    loop {
        std::thread::park();
    }
}
