//! Drive lasso from Rust: create a sandbox for a scope, run an allowed and a blocked command,
//! and let the scope stop it.
//!
//! ```text
//! cargo run --example sdk -- DIR                 # in-process (needs Docker or Podman)
//! LASSO_URL=http://127.0.0.1:8080 LASSO_API_KEY=lasso_... cargo run --example sdk -- DIR
//! ```

use lasso::sandbox::ExecOutcome;
use lasso::sdk::{CreateOptions, LassoClient, SdkError};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: sdk DIR (an absolute directory to mount at /workspace)")?;
    let client = match (std::env::var("LASSO_URL"), std::env::var("LASSO_API_KEY")) {
        (Ok(url), Ok(key)) => LassoClient::remote(&url, &key)?,
        _ => LassoClient::local()?,
    };
    let report = client
        .sandbox(CreateOptions::new("minimal", dir), |sb| async move {
            let mut lines = vec![format!("sandbox {} ({})", sb.info().name, sb.id())];
            for command in ["ls -la", "rm -rf /workspace"] {
                lines.push(match sb.exec(command).await? {
                    ExecOutcome::Ran(r) => format!("{command}: exit {}\n{}", r.exit_code, r.stdout),
                    ExecOutcome::Blocked(d) => format!("{command}: blocked ({})", d.reason),
                });
            }
            Ok::<_, SdkError>(lines.join("\n"))
        })
        .await?;
    println!("{report}");
    client.shutdown().await?;
    Ok(())
}
