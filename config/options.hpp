#pragma once
// A troupe node's options: one typed struct with the documented defaults. The names match the config file keys
// and the command-line flags exactly (`maxConcurrentJobs = 20` in the file, `--maxConcurrentJobs 20` on the
// command line). Parsing and validation live in one place, config/options_cli.cpp; the reference config file
// config/troupe.toml is generated from the same table (`troupe config defaults`), and a test keeps them equal.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace troupe {

// How a write is made durable before it is acknowledged.
enum class durability_policy {
  sync,   // one fsync per write request
  group,  // one fsync shared by every write that arrived while the previous commit was in progress (default)
};

struct node_options {
  // --- node ----------------------------------------------------------------------------------------------------
  // RocksDB directory of the node.
  std::string data = "./troupe-data";
  // Address where the node publishes its actor interface to peers and the CLI (HOST:PORT; port 0 picks one).
  std::string listen = "127.0.0.1:4242";
  // Name of this node in leases, status and logs. Empty: the host name.
  std::string nodeName;
  // sync: fsync per write; group: one fsync shared by all writes of a short window.
  durability_policy durability = durability_policy::group;
  // group only: how long a commit waits for more writes before its fsync, in microseconds (0: no wait; the
  // commit takes every write that queued up during the previous fsync).
  uint32_t groupCommitWindowUs = 0;
  // How long running jobs may take to finish after SIGTERM/SIGINT before they are stopped and requeued.
  uint32_t shutdownGraceMs = 30000;
  // Threads of CAF's scheduler (0: one per core, at least 2).
  uint32_t schedulerThreads = 0;
  // spdlog level: trace, debug, info, warn, error, critical, off.
  std::string logLevel = "info";

  // --- parallel processing (seed: "Parallel Processing Configuration") ------------------------------------------
  // Slots of this node's local pool: jobs running at once. 0 makes a node that only schedules.
  uint32_t maxConcurrentJobs = 15;
  // Most jobs the scheduler dispatches in one turn before it serves other messages (status, cancel, submit).
  uint32_t maxJobsPerRun = 150;
  // Most READY jobs claimed in one write to storage.
  uint32_t batchClaimSize = 50;
  // MiB of queued jobs' serialized records the scheduler keeps in memory, so that claiming them needs no read;
  // beyond it, records are read back from RocksDB when their jobs are claimed.
  uint32_t queueCacheMB = 64;
  // Threads that run blocking kinds (cpu and functions registered as blocking).
  uint32_t workerPoolSize = 10;
  // Serve CRITICAL > HIGH > NORMAL > LOW strictly; when false, one FIFO across all priorities.
  bool enablePriorityScheduling = true;
  // Collect metrics (metrics actor).
  bool metricsEnabled = true;
  // Let each pool's concurrency follow throughput, latency and errors (resource manager).
  bool adaptiveThrottling = true;
  // Lowest concurrency adaptive throttling gives a pool (its highest is the pool's slots).
  uint32_t adaptiveMinConcurrency = 1;

  // --- fair share (within a priority level) ----------------------------------------------------------------------
  // Weights of users in the weighted round robin, as NAME=WEIGHT,NAME=WEIGHT (unlisted users: 1).
  std::string userWeights;
  // Weights of job kinds inside a user's share, as KIND=WEIGHT,... (unlisted kinds: 1).
  std::string kindWeights;
  // Most jobs of one user running at once (0: no limit).
  uint32_t maxRunningPerUser = 0;
  // Per-user overrides of maxRunningPerUser, as NAME=N,...
  std::string userRunningLimits;
  // Most jobs of one kind running at once, as KIND=N,... (unlisted kinds: no limit).
  std::string kindRunningLimits;
  // A READY job that waited this long moves up one priority level, again after each further wait (0: never).
  uint64_t priorityAgingMs = 60000;
  // Token-bucket rate limits on jobs started, per kind and per user, as NAME=N/INTERVAL_MS[:BURST],... (e.g.
  // exec=100/60000:20: 100 a minute, at most 20 at once after a quiet spell; BURST defaults to N).
  std::string kindRateLimits;
  std::string userRateLimits;

  // --- retries (exponential backoff with jitter; a job's own `retry` and kindRetry take precedence) -------------
  // Wait after a job's first failed attempt, in milliseconds (0: retry at once).
  uint64_t retryBaseMs = 1000;
  // Each further failed attempt multiplies the wait by this.
  double retryFactor = 2.0;
  // Longest wait between attempts, in milliseconds.
  uint64_t retryMaxDelayMs = 3'600'000;
  // The wait is scaled by a factor in [1 - retryJitter, 1 + retryJitter], so jobs that failed together spread out.
  double retryJitter = 0.2;
  // Per kind, as KIND=BASE_MS:FACTOR:MAX_DELAY_MS:JITTER,... (e.g. exec=5000:3:600000:0.1).
  std::string kindRetry;
  // Unique jobs: a submit with the idempotency key of a job that ended less than this long ago (milliseconds)
  // gets that job's id instead of a new job, as one whose job has not ended does.
  uint64_t idempotencyWindowMs = 86'400'000;
  // Cron schedules: what becomes of occurrences that passed while the node was down, for schedules that do not
  // say. run-once: one job runs at start for the latest of them; skip: none runs.
  std::string cronMissed = "run-once";

  // --- API and users (HTTP/JSON API, authentication, per-user isolation) -----------------------------------------
  // Where the HTTP/JSON API listens (HOST:PORT; port 0 picks one; empty: no HTTP server).
  std::string httpListen = "127.0.0.1:8080";
  // Most HTTP connections open at once; further ones are closed at once.
  uint32_t httpMaxConnections = 256;
  // A client must send a whole request (headers and body) within this many milliseconds of starting it.
  uint32_t httpReadTimeoutMs = 10000;
  // Largest request header block accepted, in KiB.
  uint32_t httpMaxHeaderKB = 16;
  // Roles that may submit raw exec jobs, as ROLE,ROLE (admin, user). Other users submit command kinds.
  std::string execRoles = "admin";
  // A JSON file that declares command kinds (kind name -> argv template, timeout, environment); empty: none. Read
  // at start; a bad file stops the node. Format and rules: README "Command kinds", config/commands.example.json.
  std::string commandKinds;
  // When the store has no users at start, create the user "admin" and write its token to DATA/admin.token (0600).
  bool bootstrapAdmin = true;
  // Most unfinished jobs (queued, scheduled, blocked or running) of one user (0: no limit).
  uint32_t maxQueuedPerUser = 0;
  // Per-user overrides of maxQueuedPerUser, as NAME=N,...
  std::string userQueuedLimits;
  // Most payload bytes of one user's unfinished jobs, in MiB (0: no limit).
  uint32_t maxPayloadMBPerUser = 0;
  // Per-user overrides of maxPayloadMBPerUser, as NAME=MIB,...
  std::string userPayloadLimitsMB;

  // --- metrics and alerts (metrics actor, alert actor; docs/metrics.md) ----------------------------------------
  // Milliseconds between two samples of the node's metrics (the finest step of the history).
  uint32_t metricsIntervalMs = 1000;
  // Minutes the history keeps its finest samples; then only per-minute averages are kept.
  uint32_t metricsFineRetentionMinutes = 60;
  // Hours the history keeps per-minute averages; then only per-hour averages, for maxJobHistoryDays.
  uint32_t metricsMinuteRetentionHours = 24;
  // The pickup latency (READY to RUNNING, p95 over a minute) the node aims for, in milliseconds: above it the
  // pickup latency alert fires and the health score drops.
  uint32_t pickupLatencyTargetMs = 1000;
  // A rule's condition must hold this many milliseconds before its alert fires, and be clear as long before it
  // resolves.
  uint32_t alertForMs = 10000;
  // An active alert resolves only once its value is below its threshold by this fraction (hysteresis).
  double alertHysteresis = 0.1;
  // Waiting jobs (READY, SCHEDULED, BLOCKED) above which a backlog that grew over the last minute raises an alert.
  uint64_t backlogAlertJobs = 1000;
  // BLOCKED jobs (waiting for dependencies) above which an alert fires.
  uint64_t blockedAlertJobs = 1000;
  // Jobs that ended DEAD within the last 10 minutes from which an alert fires (0: never).
  uint32_t deadAlertJobs = 1;
  // URL that receives fired and resolved alerts as JSON (POST); empty: none.
  std::string alertWebhookUrl;
  // Milliseconds a webhook request may take before it is given up (it is retried with the next change).
  uint32_t alertWebhookTimeoutMs = 5000;
  // Resolved alerts kept in the alert history (oldest deleted first).
  uint32_t alertHistoryKept = 1000;

  // --- resource limits (seed: "Resource Limits") -------------------------------------------------------------
  // Memory budget of the node process, in MiB (resource manager admission).
  uint32_t maxMemoryMB = 512;
  // Admission resumes once memory is this many percentage points below memoryThreshold (hysteresis).
  uint32_t memoryHysteresisPercent = 10;
  // How often the resource manager samples the node's memory and CPU and adapts pool concurrency, in ms.
  uint32_t resourceIntervalMs = 1000;
  // Largest payload accepted, in MiB (serialized size).
  uint32_t maxJobPayloadSizeMB = 50;
  // Compression of stored job records and payloads: zstd, lz4 or none.
  std::string payloadCompression = "zstd";
  // Job records of at least this many KiB (large payloads) go to RocksDB blob files, out of the LSM tree (0: never).
  uint32_t blobThresholdKB = 4;
  // Default per-attempt timeout in milliseconds, for jobs that do not set one.
  uint64_t jobTimeoutMs = 180000;
  // Finished jobs older than this many days are deleted.
  uint32_t maxJobHistoryDays = 30;
  // At most this many finished jobs are kept; the oldest are deleted first.
  uint64_t maxCompletedJobsToKeep = 1000;
  // Attempts for jobs that do not set max_attempts.
  uint32_t defaultMaxAttempts = 25;
  // Allow the exec kind (runs processes on this machine).
  bool execEnabled = false;
  // Bytes of an exec job's stdout/stderr kept in its result (the tail).
  uint32_t outputTailBytes = 4096;
  // How often retention looks for finished jobs to delete, in milliseconds.
  uint32_t retentionIntervalMs = 1000;

  // --- cluster (docs/cluster.md) ----------------------------------------------------------------------------------
  // The secret a worker node must present to join (`troupe worker --join`); empty: no worker may join. Also read
  // from the environment variable TROUPE_CLUSTER_SECRET.
  std::string clusterSecret;
  // How often this node's connections to peers carry a heartbeat (CAF middleman), in milliseconds.
  uint32_t heartbeatIntervalMs = 500;
  // A peer (a worker, a client) whose connection carried nothing for this long is lost: a hung (SIGSTOPped) worker
  // is detected after it, a killed one at once. 0: never (only closed connections are detected).
  uint32_t peerTimeoutMs = 2500;
  // Serve peers, the CLI and workers over TLS (CAF's openssl module); they must connect with TLS too.
  bool tlsEnabled = false;
  // PEM certificate and key of this node, and the CA file that peers' certificates are checked against. All
  // empty with tlsEnabled: anonymous TLS (encrypted, not authenticated; the cluster secret still applies).
  std::string tlsCertificate;
  std::string tlsKey;
  std::string tlsCaFile;

  // --- scaling (seed: "Scaling Configuration"; scaling manager) ---------------------------------------------------
  uint32_t minWorkers = 2;          // fewest worker nodes the scaling manager keeps
  uint32_t maxWorkers = 20;         // most worker nodes it starts
  uint32_t targetQueueDepth = 25;   // READY jobs per worker it aims for
  double scaleUpThreshold = 1.5;    // scale up when depth > target x this
  double scaleDownThreshold = 0.5;  // scale down when depth < target x this
  uint32_t memoryThreshold = 80;    // percent of maxMemoryMB above which the node stops claiming
  uint32_t errorRateThreshold = 15; // percent of failed attempts above which scaling up is held
  // off: only recommend (troupe_desired_workers); local: start and drain `troupe worker` processes on this
  // machine; command: run scalingCommand with the desired count.
  std::string scalingMode = "off";
  // How often the scaling manager decides, in milliseconds.
  uint32_t scalingIntervalMs = 5000;
  // Least time between two scale-ups, and between any change and a scale-down, in milliseconds.
  uint32_t scaleUpCooldownMs = 30000;
  uint32_t scaleDownCooldownMs = 120000;
  // command mode: run with /bin/sh -c whenever the desired count changes; {count} is replaced by it, and it is
  // also in the environment as TROUPE_DESIRED_WORKERS.
  std::string scalingCommand;
  // local mode: slots of each worker process it starts.
  uint32_t scalingWorkerSlots = 8;
};

// NAME=N,NAME=N as in userWeights: the map, or nullopt and a message in `error` naming what is wrong. Names are
// non-empty and unique; N is an integer in [1, 1000000]. Empty text is an empty map.
std::optional<std::unordered_map<std::string, uint32_t>> parse_name_values(std::string_view text,
                                                                          std::string* error = nullptr);

// One rate limit, as in kindRateLimits: `count` starts per `interval_ms`, and at most `burst` in a row.
struct rate_setting {
  uint32_t count = 0;
  uint64_t interval_ms = 0;
  uint32_t burst = 0;
};

// NAME=N/INTERVAL_MS[:BURST],... as in kindRateLimits: the map, or nullopt and a message in `error`.
std::optional<std::unordered_map<std::string, rate_setting>> parse_rate_limits(std::string_view text,
                                                                              std::string* error = nullptr);

// One kind's retry settings, as in kindRetry.
struct retry_setting {
  uint64_t base_ms = 0;
  double factor = 1;
  uint64_t max_delay_ms = 0;
  double jitter = 0;
};

// KIND=BASE_MS:FACTOR:MAX_DELAY_MS:JITTER,... as in kindRetry: the map, or nullopt and a message in `error`.
std::optional<std::unordered_map<std::string, retry_setting>> parse_kind_retry(std::string_view text,
                                                                              std::string* error = nullptr);

// The name of `policy` as written in the config file and on the command line: "sync" or "group".
const char* to_string(durability_policy policy);

// The policy named `text` (exactly "sync" or "group"), or nullopt for any other text.
std::optional<durability_policy> parse_durability(std::string_view text);

}  // namespace troupe
