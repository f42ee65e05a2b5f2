fn main() {
    eprintln!("openclaw-operator: not built yet");
    std::process::exit(1);
}
