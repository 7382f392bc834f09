use blogbot_server::config::{Args, Command, ServeArgs};
use clap::Parser;

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,mistralrs_core=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    // Before any thread exists: one malloc arena that keeps freed memory, so tensor buffers are reused rather
    // than page-faulted back in on every request (classifier `alloc.rs`); training jobs give it back when done.
    blogbot_classifier::tune_allocator();
    let args = Args::parse();
    if args.common.threads > 0 {
        // candle's CPU kernels size their pools from this; set before any pool exists.
        std::env::set_var("RAYON_NUM_THREADS", args.common.threads.to_string());
    }
    init_tracing(args.common.log_json);
    let rt = actix_web::rt::System::new();
    let common = args.common;
    rt.block_on(async move {
        match args.command {
            None => blogbot_server::server::serve(common, ServeArgs::default()).await,
            Some(Command::Serve(s)) => blogbot_server::server::serve(common, s).await,
            Some(Command::Generate(g)) => blogbot_server::cli::generate(common, g).await,
            Some(Command::BenchLlm(b)) => blogbot_server::cli::bench_llm(common, b).await,
            Some(Command::Train(t)) => blogbot_server::cli::train(common, t),
            Some(Command::Eval(e)) => blogbot_server::cli::eval(common, e),
            Some(Command::Predict(p)) => blogbot_server::cli::predict(common, p),
            Some(Command::DevEval(d)) => blogbot_server::cli::dev_eval(common, d),
        }
    })
    .map_err(|e| {
        tracing::error!("{e:#}");
        e
    })
}
