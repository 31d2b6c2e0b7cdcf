//! Scenarios: the study a run performs, read from a TOML file, checked as a
//! whole, and turned into the validated [`Scenario`] the simulator trusts.
//!
//! Reading is two stages: the file is parsed into a TOML tree, then
//! [`parse`] walks it, converting units, filling defaults ([`defaults`]) and
//! collecting *every* problem with its field path before anything runs.

pub mod defaults;
pub mod fleet_file;
pub mod parse;
pub mod sweep;

pub use crate::capacity::groups::GroupPolicy;
pub use crate::capacity::spec::CapacitySpec;
use crate::engine::SimTime;
pub use crate::input::dist::{Dist, ResidualSampler, Sampler};
pub use crate::input::problems::{Problem, Problems, Reported, ScenarioError, Switch};
use crate::model::{Kind, Op, Outcome, Status};
pub use fleet_file::{ImportedServer, InitialFleet, SkippedServer, Unmodelled, UnmodelledState};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// A validated study: every value checked, units converted, defaults filled.
#[derive(Clone, Debug, Serialize)]
pub struct Scenario {
    /// The study's name (`name`); the default output folder is
    /// `output/<name>`.
    pub name: String,
    /// The random seed (`seed`, or `--seed`).
    pub seed: u64,
    /// Independent replications, each with its own random streams.
    pub replications: u32,
    /// How much time each replication simulates.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub horizon: SimTime,
    /// Statistics cover [warmup, horizon].
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub warmup: SimTime,
    /// Resolution of the occupancy time series.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub sample_interval: SimTime,
    /// The wall-clock time of t = 0, in milliseconds since the Unix epoch
    /// (fixtures' timestamps start here).
    #[serde(serialize_with = "ser_wallclock")]
    pub start_time: u64,
    /// The ECS fleet (`[ecs]`); `None`: no ECS.
    pub ecs: Option<KindSpec>,
    /// The BMS fleet (`[bms]`); `None`: no BMS.
    pub bms: Option<KindSpec>,
    /// Hosts, flavors and placement; `None`: unlimited capacity.
    pub capacity: Option<CapacitySpec>,
}

/// Values given on the command line that replace the file's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--seed`, as given: replaces `seed`.
    pub seed: Option<String>,
    /// `--horizon`, as given (`"7d"`): replaces `horizon`.
    pub horizon: Option<String>,
    /// `--warmup`, as given: replaces `warmup`.
    pub warmup: Option<String>,
    /// `--replications`, as given: replaces `replications`.
    pub replications: Option<String>,
    /// The run keeps no statistics (fixtures): the warmup and the sample
    /// interval are dropped, so a short `horizon` needs no other change.
    pub no_statistics: bool,
}

impl Overrides {
    /// `e` with the problems of a value given on the command line named by
    /// its option (`--seed`), not by the key it replaced.
    pub fn name_options(&self, mut e: ScenarioError) -> ScenarioError {
        let given = [
            ("seed", "--seed", self.seed.is_some()),
            ("horizon", "--horizon", self.horizon.is_some()),
            ("warmup", "--warmup", self.warmup.is_some()),
            (
                "replications",
                "--replications",
                self.replications.is_some(),
            ),
        ];
        for p in &mut e.problems {
            if let Some((_, option, _)) = given.iter().find(|(key, _, on)| *on && p.field == *key) {
                p.field = (*option).to_string();
            }
        }
        e
    }
}

/// Everything about one kind of server.
#[derive(Clone, Debug, Serialize)]
pub struct KindSpec {
    /// The kind this section describes.
    pub kind: Kind,
    /// Servers present at t = 0: in ACTIVE / Running, or, with
    /// `initial_fleet`, the file's servers (then `initial` is their number).
    pub initial: u32,
    /// The servers read from `initial_fleet`, in their states; `None`: the
    /// initial fleet is `initial` servers in ACTIVE / Running (and the
    /// manifest does not mention it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_fleet: Option<Arc<InitialFleet>>,
    /// `initial_age = "steady"` (the default): the initial fleet's remaining
    /// lifetimes come from the lifetime's equilibrium excess distribution, so
    /// the fleet starts at its long-run age mix; `"new"`: fresh lifetimes.
    pub initial_steady: bool,
    /// Poisson create arrivals per day, when the rate is constant (0 with
    /// a profile).
    pub arrivals_per_day: f64,
    /// A time-varying create rate (`arrivals` as a table); `None`: the
    /// constant `arrivals_per_day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_profile: Option<crate::demand::Profile>,
    /// Creates replayed from a trace (`arrivals = { trace = ... }`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arrival_trace: Option<crate::demand::trace::TraceSpec>,
    /// Time from the create request (t = 0 for the initial fleet) until the
    /// owner deletes the server; `None`: never.
    pub lifetime: Option<Dist>,
    /// Ticks of each server's owner per day (Poisson): at each one the owner
    /// may request a user operation, as `behaviour` says.
    pub ops_rate_per_day: f64,
    /// Relative weights of user operations for a state-blind owner; only
    /// positive weights, in the kind's operation order. Empty with a
    /// state-aware `behaviour`.
    pub ops_mix: Vec<MixEntry>,
    /// How an owner chooses an operation at each tick: blind (from
    /// `ops_mix`, the default, not written to the manifest) or by the status
    /// the server shows.
    #[serde(skip_serializing_if = "Behaviour::is_blind")]
    pub behaviour: Behaviour,
    /// Duration of each intermediate step, one per duration key of the kind's
    /// machine (ECS task states, BMS intermediate states), in machine order.
    pub steps: Vec<StepSpec>,
    /// How long a deleted server shows DELETED before it leaves the population.
    pub deleted_for: Dist,
    /// Per-operation failure probability and outcome, one per supported
    /// operation that can fail, in the kind's operation order.
    pub failures: Vec<FailureSpec>,
    /// Spontaneous faults and admin repair (`faults`).
    pub faults: FaultSpec,
    /// Per-operation watchdog timeout (`None`: off), one per operation with
    /// steps that can fail, in the kind's operation order.
    pub watchdog: Vec<WatchdogSpec>,
    /// ECS only: the user's decision after a resize.
    pub resize: Option<ResizeSpec>,
    /// ECS only: soft reboot falling back to hard.
    pub soft_reboot: Option<SoftRebootSpec>,
    /// BMS only: billing freeze; `None` when off.
    pub freeze: Option<FreezeSpec>,
    /// The owner's reaction to ERROR / Faulty; `None`: owners wait for repair.
    pub on_error: Option<OnErrorSpec>,
    /// Windows in which fault rates and failure probabilities are multiplied.
    pub incidents: Vec<IncidentSpec>,
    /// Instants at which a fraction of the idle servers fault at once.
    pub mass_faults: Vec<MassFaultSpec>,
    /// ECS only: guests that power themselves off; `None`: off.
    pub guest_crash: Option<GuestCrashSpec>,
    /// Create requests of several servers, and server groups
    /// (`[<kind>.deployment]`); `None`: each request creates one server, in
    /// no group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentSpec>,
}

/// Deployments: each create request (`arrivals`) asks for a number of
/// servers drawn from `sizes`, all of one flavor, and puts them in a server
/// group of a policy with the probabilities of `groups` (docs/model.md
/// §Deployments and server groups).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeploymentSpec {
    /// Servers per request with their relative weights (> 0), by size.
    pub sizes: Vec<SizeWeight>,
    /// The share of requests in a group of each policy, in
    /// [`GroupPolicy::ALL`] order, positive shares only; the rest form no
    /// group. They add up to at most 1.
    pub groups: Vec<GroupShare>,
    /// Anti-affinity's `max_server_per_host` (Nova API 2.64): at most this
    /// many members of a group on one host.
    pub max_server_per_host: u32,
}

impl DeploymentSpec {
    /// The mean number of servers per request.
    pub fn mean_size(&self) -> f64 {
        let total: f64 = self.sizes.iter().map(|s| s.weight).sum();
        if total > 0.0 {
            self.sizes
                .iter()
                .map(|s| s.size as f64 * s.weight / total)
                .sum()
        } else {
            1.0
        }
    }
}

/// One size of `[<kind>.deployment] size`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SizeWeight {
    /// Servers in the request, 1 to [`MAX_DEPLOYMENT_SIZE`].
    pub size: u32,
    /// Its relative weight (> 0).
    pub weight: f64,
}

/// The share of deployments in a server group of one policy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GroupShare {
    /// The group's policy.
    pub policy: GroupPolicy,
    /// The probability that a deployment forms a group of this policy.
    pub prob: f64,
}

/// Most servers one create request may ask for (and the largest
/// `max_server_per_host`): a bound on what one arrival allocates.
pub const MAX_DEPLOYMENT_SIZE: u32 = 1_000;

/// Largest scenario file read (16 MiB): a scenario is a few kilobytes of
/// TOML, and a bound keeps a wrong path from filling memory.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The factor of several incident windows open at once: the product of
/// theirs, or 0 when one of them is 0 (a pause stays a pause however large
/// the others are, where 0 × ∞ would be NaN).
pub fn combined_factor(factors: impl IntoIterator<Item = f64>) -> f64 {
    let mut product = 1.0;
    for f in factors {
        if f == 0.0 {
            return 0.0;
        }
        product *= f;
    }
    product
}

/// An incident window: between `start` and `start + duration`, the kind's
/// fault hazard is multiplied by `fault_factor` and its operations' failure
/// and hang probabilities by `failure_factor` (capped at 1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentSpec {
    /// When the window opens, from t = 0.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub start: SimTime,
    /// How long it stays open.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub duration: SimTime,
    /// Multiplies the fault hazard inside the window (0 pauses faults).
    pub fault_factor: f64,
    /// Multiplies `prob` and `hang_prob` (capped at 1) of operations that
    /// start inside the window.
    pub failure_factor: f64,
}

/// A mass fault: at `at`, each idle server in a fault-prone state faults
/// with probability `fraction`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MassFaultSpec {
    /// When it strikes, from t = 0.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub at: SimTime,
    /// Probability that each idle server in a fault-prone state faults.
    pub fraction: f64,
}

/// Guest crashes: an ACTIVE, idle ECS whose guest powers itself off keeps
/// showing ACTIVE until Nova's power-state sync, run every `sync_interval`,
/// sets it to SHUTOFF.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GuestCrashSpec {
    /// Crashes per server per day (Poisson).
    pub rate_per_day: f64,
    /// Nova's `sync_power_state_interval`: the sync runs at every multiple of
    /// it, counted from t = 0.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub sync_interval: SimTime,
}

/// How an owner chooses the operation it requests at a tick of its
/// operations clock (`behaviour`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    /// `behaviour = "blind"` (the default): an operation drawn from
    /// `ops_mix`, whatever the server's state; one the state does not allow
    /// is refused with a conflict.
    Blind,
    /// `[<kind>.behaviour.<STATUS>]` tables: an operation drawn from the mix
    /// of the status the server shows; nothing in a status without a mix,
    /// or once the owner has asked for the server's deletion. In status
    /// order, each status once, each mix with a positive weight.
    ByStatus(Vec<StatusMix>),
}

impl Behaviour {
    /// Whether owners draw from `ops_mix` whatever the state.
    pub fn is_blind(&self) -> bool {
        matches!(self, Behaviour::Blind)
    }
}

/// The operations an owner asks for when the server shows `status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusMix {
    /// The API status (never DELETED).
    pub status: Status,
    /// Relative weights, only positive ones, in the kind's operation order;
    /// each operation is allowed in some state showing `status`.
    pub mix: Vec<MixEntry>,
}

/// One weighted entry of `ops_mix` or of a per-status mix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MixEntry {
    /// A user operation of the kind.
    pub op: Op,
    /// Its relative weight (> 0).
    pub weight: f64,
}

/// Duration distribution of one intermediate step.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepSpec {
    /// ECS task_state or BMS lifecycle state name.
    pub name: String,
    /// The step's duration, drawn afresh each time a server passes through
    /// it.
    pub duration: Dist,
}

/// Failure injection for one operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FailureSpec {
    /// An operation that can fail.
    pub op: Op,
    /// Probability that one run of the operation fails, at one of its steps
    /// chosen uniformly (at once, for an operation without steps).
    pub prob: f64,
    /// What a failure does: the error state, or back to where the operation
    /// started.
    pub outcome: Outcome,
    /// Probability that one of the operation's steps hangs: it never ends
    /// by itself, only the watchdog (if any) ends it.
    pub hang_prob: f64,
}

/// Watchdog for one operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WatchdogSpec {
    /// An operation that can fail and has at least one step.
    pub op: Op,
    /// Longest time the operation may take before it is ended in the error
    /// state, counted as timed out; `None`: no watchdog.
    #[serde(serialize_with = "crate::input::units::ser_opt_secs")]
    pub timeout: Option<SimTime>,
}

/// Spontaneous faults and admin repair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FaultSpec {
    /// Time between faults of one server (a renewal clock); `None`: no faults.
    pub time_to_fault: Option<Dist>,
    /// Time an admin takes to repair a server in ERROR / Faulty; `None`: never.
    pub repair: Option<Dist>,
    /// Where a repair leaves the server: ECS `reset_to = "stopped"`, BMS
    /// `repair_to = "stopped"` (otherwise active / Running).
    pub repair_to_stopped: bool,
    /// BMS only: share of repairs done by an operator rebuild (through
    /// Rebuilding) rather than an in-place repair.
    pub rebuild_prob: f64,
}

/// The user's decision after a resize reaches VERIFY_RESIZE.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResizeSpec {
    /// Probability that the user confirms; otherwise the user reverts.
    pub confirm_prob: f64,
    /// Time from reaching VERIFY_RESIZE until the user decides.
    pub decision_delay: Dist,
    /// Nova's resize_confirm_window: auto-confirm after this long; `None`: off.
    #[serde(serialize_with = "crate::input::units::ser_opt_secs")]
    pub auto_confirm: Option<SimTime>,
}

/// Nova's soft reboot that falls back to hard when the guest does not shut down.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SoftRebootSpec {
    /// Share of soft reboots whose guest ignores the shutdown request, so
    /// that Nova reboots it hard.
    pub fallback_prob: f64,
    /// Added to the reboot_started step when the fallback happens.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub timeout: SimTime,
    /// Whether a hard reboot may pre-empt a soft reboot in progress
    /// (docs/model.md §2); otherwise it is refused with a conflict.
    pub hard_preempts: bool,
}

/// What an owner does about a server in ERROR / Faulty: delete it, rebuild
/// it, or (the rest) wait for the admin repair.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OnErrorSpec {
    /// Share of owners who delete the server.
    pub delete_prob: f64,
    /// Share of owners who rebuild it; `delete_prob + rebuild_prob` ≤ 1.
    pub rebuild_prob: f64,
    /// Time from entering the error state until the owner acts.
    pub delay: Dist,
}

/// Billing freeze of a BMS (docs/model.md §4).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FreezeSpec {
    /// Freezes per server per day (Poisson).
    pub rate_per_day: f64,
    /// Probability the owner renews (pays) and the server is unfrozen.
    pub renew_prob: f64,
    /// Time from freeze to renewal, when the owner renews.
    pub renew_delay: Dist,
    /// A frozen server not renewed within this period is deleted.
    #[serde(serialize_with = "crate::input::units::ser_secs")]
    pub retention: SimTime,
}

impl Scenario {
    /// Length of the statistics window, [warmup, horizon].
    pub fn window(&self) -> SimTime {
        self.horizon.since(self.warmup)
    }

    /// The spec of one kind, if the scenario simulates it.
    pub fn kind(&self, kind: Kind) -> Option<&KindSpec> {
        match kind {
            Kind::Ecs => self.ecs.as_ref(),
            Kind::Bms => self.bms.as_ref(),
        }
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, &Overrides::default())
    }

    /// Reads a scenario file without a sweep (or the base of one).
    pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
        let plan = Scenario::load_plan(path, overrides)?;
        let first = plan.points.into_iter().next().expect("a plan has a point");
        Ok(Arc::unwrap_or_clone(first.scenario))
    }

    /// Reads a scenario file, applies command-line overrides to its tree,
    /// and validates it (so an override is checked like the file itself),
    /// expanding its `[sweep]`, if any, into validated points.
    pub fn load_plan(path: &Path, overrides: &Overrides) -> Result<sweep::Plan, ScenarioError> {
        Scenario::load_base(path, overrides)?
            .plan()
            .map_err(|e| overrides.name_options(e))
    }

    /// Reads a scenario file and applies command-line overrides to its
    /// tree: the [`sweep::Base`] its points (a sweep's, or a plan's
    /// candidates) are made from, each validated as it is made.
    pub fn load_base(path: &Path, overrides: &Overrides) -> Result<sweep::Base, ScenarioError> {
        let file = path.display().to_string();
        let problem = |message: String| ScenarioError {
            file: file.clone(),
            problems: vec![Problem {
                field: String::new(),
                message,
            }],
        };
        let text = crate::input::file::read(path, MAX_SCENARIO_BYTES).map_err(|e| {
            problem(match e {
                crate::input::file::FileError::Io(e) => format!("cannot read the file: {e}"),
                e => format!(
                    "the file {}",
                    e.explain(
                        "give the path of a scenario file (TOML)",
                        "a scenario is a few kilobytes of TOML, and large inputs belong in the files it names (initial_fleet, schedule, trace)"
                    )
                ),
            })
        })?;
        let text = String::from_utf8(text).map_err(|e| {
            problem(format!(
                "the file is not UTF-8 text ({e}); give a scenario file (TOML)"
            ))
        })?;
        let mut root = parse::parse_tree(&text, &file)?;
        // Each value given on the command line goes into the tree as it is
        // (a number as a number), so it is checked with the file and its
        // problems come with the file's, named by the option.
        let value = |v: &str| {
            v.parse::<i64>()
                .map(toml::Value::Integer)
                .unwrap_or_else(|_| toml::Value::String(v.to_string()))
        };
        if let Some(seed) = &overrides.seed {
            root.insert("seed".into(), value(seed));
        }
        if let Some(h) = &overrides.horizon {
            root.insert("horizon".into(), toml::Value::String(h.clone()));
        }
        if let Some(w) = &overrides.warmup {
            root.insert("warmup".into(), toml::Value::String(w.clone()));
        }
        if overrides.no_statistics {
            root.insert("warmup".into(), toml::Value::String("0s".into()));
            root.remove("sample_interval");
        }
        if let Some(r) = &overrides.replications {
            root.insert("replications".into(), value(r));
        }
        // `initial_fleet` paths are relative to the scenario's folder.
        let dir = path.parent().unwrap_or(Path::new(""));
        Ok(sweep::Base::new(&root, &file, dir))
    }
}

impl KindSpec {
    /// Failure spec of `op`; `None` when the operation cannot fail (or the
    /// kind does not have it).
    pub fn failure(&self, op: Op) -> Option<&FailureSpec> {
        self.failures.iter().find(|f| f.op == op)
    }

    /// Watchdog of `op`, if any.
    pub fn watchdog(&self, op: Op) -> Option<SimTime> {
        self.watchdog
            .iter()
            .find(|w| w.op == op)
            .and_then(|w| w.timeout)
    }
}

fn ser_wallclock<S: serde::Serializer>(t: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::wallclock::seconds(*t, SimTime::ZERO))
}
