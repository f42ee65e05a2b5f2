fn main() {
    eprintln!("fly-local: not built yet");
    std::process::exit(1);
}
