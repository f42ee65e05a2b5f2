fn main() {
    eprintln!("openclaw: not built yet");
    std::process::exit(1);
}
