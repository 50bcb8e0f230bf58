//! `edge-worker app`: edge applications (PeerHVM). A dApp deploys, upgrades and removes them with its account;
//! a client calls them through any edge's gateway, paying with compute receipts signed by its client key.

use std::{path::PathBuf, time::Duration};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use edge_worker::keys;
use enreach_edge_chain::{capabilities::parse_continent, Chain, Wait};
use enreach_gpow::{
    compute::{ClientSession, Totals},
    compute_wire as wire,
};
use enreach_hvm::{Hvm, NodeCaps};
use enreach_primitives::{
    is_valid_app_name, is_valid_app_origin, AppLimits, EpochIndex, Region, SessionId,
};

// The arguments of `app` (its help text is the `Command::App` doc comment).
#[derive(Args)]
pub struct AppArgs {
    #[command(subcommand)]
    pub action: AppAction,
}

#[derive(Subcommand)]
pub enum AppAction {
    /// Publishes a WebAssembly component (wasi:http/proxy) and registers it as an edge application, run at
    /// `<gateway>/a/<name>/<path>`. Its bytes reach edges through PeerDTS from a node that holds them (e.g.
    /// `edge-worker publish app.wasm --serve`) or from `--origin`.
    Deploy(DeployArgs),
    /// Replaces a deployed app's code or settings (a new version).
    Upgrade(DeployArgs),
    /// Removes an app and releases its deposit.
    Remove {
        /// The app's name.
        name: String,
        #[command(flatten)]
        dapp: DappAccount,
    },
    /// Calls an app through a gateway in one session, signing a compute receipt for each answer.
    Call(CallArgs),
}

/// The dApp's account and the chain it is on.
#[derive(Args)]
pub struct DappAccount {
    /// The node's JSON-RPC endpoint.
    #[arg(long, default_value = "ws://127.0.0.1:9944")]
    pub chain: String,
    /// The dApp account's secret URI (`//Alice` on dev chains).
    #[arg(long, env = "ENREACH_DAPP_SURI", hide_env_values = true)]
    pub account: String,
}

#[derive(Args)]
pub struct DeployArgs {
    /// The component (`.wasm`).
    pub wasm: PathBuf,
    /// The app's name: 3 to 32 of `a-z`, `0-9` and `-`, not at either end.
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub dapp: DappAccount,
    /// Memory of one request's instance, MiB.
    #[arg(long, default_value_t = 64)]
    pub memory_mib: u32,
    /// Compute units (WebAssembly operations) one request may burn.
    #[arg(long, default_value_t = 2_000_000_000)]
    pub max_cpu: u64,
    /// Wall-clock time one request may take, milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub wall_ms: u32,
    /// The most the dApp pays per million compute units (plancks).
    #[arg(long, default_value_t = 0)]
    pub max_price: u128,
    /// Where the app runs, as `continent:CC` (e.g. `europe:DE`), repeated; everywhere if none.
    #[arg(long = "region")]
    pub regions: Vec<String>,
    /// An origin (`https://host[:port]`) the app may call, repeated; nothing else is reachable from it.
    #[arg(long = "calls")]
    pub calls: Vec<String>,
    /// Nodes paid to store the code.
    #[arg(long, default_value_t = 1)]
    pub replicas: u32,
    /// Where gateways fetch the code when no node holds it.
    #[arg(long)]
    pub origin: Option<String>,
}

#[derive(Args)]
pub struct CallArgs {
    /// The gateway's base URL (`http://host:port`).
    pub gateway: String,
    /// The app's name.
    pub app: String,
    /// The path (and query) to call, e.g. `/hello?name=Ada`.
    #[arg(default_value = "/")]
    pub path: String,
    /// The method.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// The request body.
    #[arg(long)]
    pub data: Option<String>,
    /// Calls to make in the session (each answer is printed).
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// The app's compute units per request (its limit on chain, `app deploy --max-cpu`): no receipt is signed
    /// for a request the gateway says burnt more. Without it the gateway's count is signed as it comes.
    #[arg(long)]
    pub max_units: Option<u64>,
}

/// Runs an `app` command; `data_dir` holds the client key of `call`.
pub async fn run(data_dir: &std::path::Path, args: AppArgs) -> anyhow::Result<()> {
    match args.action {
        AppAction::Deploy(args) => deploy(args, "deploy").await,
        AppAction::Upgrade(args) => deploy(args, "upgrade").await,
        AppAction::Remove { name, dapp } => {
            let (chain, signer) = connect(&dapp).await?;
            chain
                .submit(
                    &signer,
                    ("Apps", "remove", (name.clone().into_bytes(),)),
                    Wait::Finalized,
                )
                .await?;
            println!(
                "{}",
                serde_json::json!({"event": "app_removed", "name": name})
            );
            Ok(())
        }
        AppAction::Call(args) => call(data_dir, args).await,
    }
}

async fn connect(dapp: &DappAccount) -> anyhow::Result<(Chain, subxt_signer::sr25519::Keypair)> {
    let uri: subxt_signer::SecretUri = dapp
        .account
        .parse()
        .context("--account is not a secret URI")?;
    let signer = subxt_signer::sr25519::Keypair::from_uri(&uri).context("--account")?;
    let chain = Chain::connect(&dapp.chain)
        .await
        .with_context(|| format!("connecting to the chain at {}", dapp.chain))?;
    Ok((chain, signer))
}

fn parse_region(text: &str) -> anyhow::Result<Region> {
    let (continent, country) = text
        .split_once(':')
        .context("a region is continent:CC, e.g. europe:DE")?;
    let continent = parse_continent(continent).map_err(anyhow::Error::msg)?;
    let country: [u8; 2] = country
        .as_bytes()
        .try_into()
        .context("a country is two upper-case letters")?;
    let region = Region { continent, country };
    if !region.is_valid() {
        bail!("a country is two upper-case letters, not {text}");
    }
    Ok(region)
}

/// Checks the app locally, publishes its code if this dApp has not yet, and registers (or upgrades) it.
async fn deploy(args: DeployArgs, call: &str) -> anyhow::Result<()> {
    if !is_valid_app_name(args.name.as_bytes()) {
        bail!("--name: 3 to 32 of a-z, 0-9 and -, not at either end");
    }
    if let Some(bad) = args
        .calls
        .iter()
        .find(|o| !is_valid_app_origin(o.as_bytes()))
    {
        bail!("--calls {bad}: an origin is scheme://host[:port], http or https, without a path");
    }
    let regions = args
        .regions
        .iter()
        .map(|r| parse_region(r))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let wasm =
        std::fs::read(&args.wasm).with_context(|| format!("reading {}", args.wasm.display()))?;
    let code = *blake3::hash(&wasm).as_bytes();
    // What an edge would refuse is refused here, before anything is paid for.
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let scratch = tempfile::tempdir()?;
        let hvm = Hvm::new(
            NodeCaps {
                instances: 1,
                ..NodeCaps::default()
            },
            scratch.path(),
        )?;
        hvm.load(&code, &wasm)
            .context("the component cannot run on PeerHVM")
    })
    .await??;
    let (chain, signer) = connect(&args.dapp).await?;
    let size = std::fs::metadata(&args.wasm)?.len();
    let published = chain.content(blake3::Hash::from_bytes(code)).await?;
    if published.is_none() {
        let origin = args.origin.clone().map(String::into_bytes);
        let publish = (code, size, args.replicas, args.max_price, origin);
        chain
            .submit(
                &signer,
                ("Settlement", "publish_content", publish),
                Wait::Finalized,
            )
            .await?;
    }
    let limits = AppLimits {
        memory_mib: args.memory_mib,
        compute_units: args.max_cpu,
        wall_ms: args.wall_ms,
    };
    let origins: Vec<Vec<u8>> = args.calls.into_iter().map(String::into_bytes).collect();
    let register = (
        args.name.clone().into_bytes(),
        code,
        limits,
        args.max_price,
        regions,
        origins,
    );
    chain
        .submit(&signer, ("Apps", call, register), Wait::Finalized)
        .await?;
    let record = chain
        .app(&args.name)
        .await?
        .context("the app is not on chain after its registration")?;
    println!(
        "{}",
        serde_json::json!({
            "event": if call == "deploy" { "app_deployed" } else { "app_upgraded" },
            "name": args.name,
            "code": hex::encode(code),
            "version": record.version,
        })
    );
    Ok(())
}

/// One caller of an app: a session of its own, paying with compute receipts when it has a client key.
pub struct Caller {
    http: reqwest::Client,
    url: String,
    key: Option<ed25519_dalek::SigningKey>,
    /// The most compute units one request of the app may burn, if known: the most this caller signs for one.
    max_units: Option<u64>,
    session_id: SessionId,
    session: Option<ClientSession>,
}

/// What an edge billed for one call.
pub struct Metered {
    /// This request's compute units.
    pub units: u64,
    /// The session's totals after it.
    pub totals: Totals,
    /// The epoch the edge billed it in: a session is one epoch's, so a new epoch starts a new one.
    pub epoch: EpochIndex,
}

/// One call's answer, as the client saw it.
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// What the edge billed, when it metered the request.
    pub metered: Option<Metered>,
    /// The time the edge ran it at (what the app's clock read, whole Unix seconds), when it says.
    pub time: Option<Duration>,
    /// The edge refused it because it serves another epoch than the caller's session.
    moved_on: bool,
}

impl Caller {
    /// A caller of `url` (an app's full URL, or any HTTP URL when `key` is `None`) that signs for at most
    /// `max_units` compute units per request, if given.
    pub fn new(
        http: reqwest::Client,
        url: String,
        key: Option<ed25519_dalek::SigningKey>,
        max_units: Option<u64>,
    ) -> Self {
        Self {
            http,
            url,
            key,
            max_units,
            session_id: SessionId(rand::random()),
            session: None,
        }
    }

    /// Sends one request (with the session's latest receipt) and records what the answer asks to sign. When
    /// the edge has moved on to another epoch (its terms name it; the old session's receipts are void there
    /// and it refuses them), the request is sent once more in a new session.
    pub async fn call(
        &mut self,
        method: &reqwest::Method,
        data: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let answer = self.call_once(method, data).await?;
        match answer.moved_on {
            true => {
                self.session_id = SessionId(rand::random());
                self.session = None;
                self.call_once(method, data).await
            }
            false => Ok(answer),
        }
    }

    async fn call_once(
        &mut self,
        method: &reqwest::Method,
        data: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut request = self.http.request(method.clone(), &self.url);
        if let Some(key) = &self.key {
            request = request
                .header(wire::CLIENT, hex::encode(key.verifying_key().as_bytes()))
                .header(wire::SESSION, hex::encode(self.session_id.0));
            if let Some(receipt) = self.session.as_ref().and_then(ClientSession::receipt) {
                request = request.header(wire::RECEIPT, wire::encode_receipt(&receipt));
            }
        }
        if let Some(data) = data {
            request = request.body(data.to_owned());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {}", self.url))?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let metered = (
            header(wire::TERMS),
            header(wire::CODE),
            header(wire::STEP),
            header(wire::TOTALS),
        );
        let time = header(wire::TIME).as_deref().and_then(wire::parse_time);
        let body = response.text().await?;
        // A refusal names the edge's terms too: other terms than this session's (the edge moved to another
        // epoch) mean a new session, as they do for an answer below.
        let moved_on = !(200..300).contains(&status)
            && metered
                .0
                .as_deref()
                .and_then(wire::parse_terms)
                .is_some_and(|terms| {
                    self.session
                        .as_ref()
                        .is_some_and(|session| session.terms() != terms)
                });
        let (Some(key), (Some(terms), Some(code), Some(step), Some(totals))) = (&self.key, metered)
        else {
            return Ok(Answer {
                status,
                body,
                metered: None,
                time,
                moved_on,
            });
        };
        let terms = wire::parse_terms(&terms).context("the gateway's enreach-terms header")?;
        let epoch = terms.epoch;
        let code = wire::parse_code(&code).context("the gateway's enreach-code header")?;
        let step = wire::parse_step(&step).context("the gateway's enreach-step header")?;
        let totals = wire::parse_totals(&totals).context("the gateway's enreach-totals header")?;
        // Answered in another epoch than the session's (no receipt went with the request, so nothing was
        // refused): the edge counts it as the first request of a session of that epoch.
        if self.session.as_ref().is_some_and(|s| s.terms() != terms) {
            self.session = None;
        }
        let (session_id, max_units) = (self.session_id, self.max_units);
        let session = self.session.get_or_insert_with(|| {
            ClientSession::new(key.clone(), terms, code, session_id, max_units)
        });
        session
            .record(&step, &totals)
            .context("the gateway's step is not signed")?;
        Ok(Answer {
            status,
            body,
            metered: Some(Metered {
                units: step.units,
                totals,
                epoch,
            }),
            time,
            moved_on: false,
        })
    }
}

/// Calls an app `repeat` times in one session through `gateway`, signing each answer's totals.
async fn call(data_dir: &std::path::Path, args: CallArgs) -> anyhow::Result<()> {
    let key = keys::load_or_create_client(&data_dir.join("client_key"))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let url = format!(
        "{}/a/{}{}",
        args.gateway.trim_end_matches('/'),
        args.app,
        args.path
    );
    let method: reqwest::Method = args.method.parse().context("--method")?;
    let mut caller = Caller::new(http, url, Some(key), args.max_units);
    for _ in 0..args.repeat {
        let answer = caller.call(&method, args.data.as_deref()).await?;
        let mut event = serde_json::json!({"event": "app_answer", "status": answer.status, "body": answer.body});
        if let Some(metered) = answer.metered {
            event["compute_units"] = metered.units.into();
            event["session_units"] = metered.totals.units.into();
            event["requests"] = metered.totals.requests.into();
            event["epoch"] = metered.epoch.into();
        }
        if let Some(time) = answer.time {
            event["time"] = time.as_secs().into();
        }
        println!("{event}");
    }
    Ok(())
}
