namespace Agent.Training.Corpus;

/// <summary>Entity names the scenarios draw from.</summary>
internal sealed class EntityPools
{
    public static EntityPools Instance { get; } = new();

    public string[] Users { get; } = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "uma", "victor", "wendy", "xavier", "yusuf", "zoe", "deploy", "ci", "build"];

    public string[] Projects { get; } = ["billing-api", "inventory", "webshop", "auth-service", "data-pipeline", "metrics", "notifier", "scheduler", "search", "gateway", "reports", "ledger", "catalog", "chat-backend", "image-resizer", "payments", "crm", "warehouse", "geo-lookup", "mailer", "feature-flags", "ml-serving", "etl-jobs", "docs-site", "kiosk", "tracker", "survey", "helpdesk", "wiki", "backup-tool", "invoice-gen", "rate-limiter", "audit-viewer", "pricing", "loyalty", "sensor-hub", "telemetry", "cms", "forum", "booking"];

    public string[] Roots { get; } = ["/srv", "/opt", "/home/{user}", "/var/www", "/home/{user}/src", "/data/apps", "/workspace"];

    public string[] SourceFiles { get; } = ["app.py", "main.go", "server.js", "index.ts", "handlers.py", "models.py", "utils.rb", "worker.py", "routes.js", "cli.py", "config.py", "db.go", "api.ts", "jobs.py", "Program.cs"];

    public string[] LogFiles { get; } = ["app.log", "error.log", "access.log", "worker.log", "cron.log", "import.log", "sync.log", "deploy.log", "debug.log", "requests.log"];

    public string[] ConfigFiles { get; } = ["config.yaml", "settings.toml", "app.ini", "config.json", ".env.example", "service.conf", "values.yaml"];

    public string[] PythonPackages { get; } = ["requests", "numpy", "pandas", "flask", "django", "fastapi", "pydantic", "sqlalchemy", "celery", "redis", "boto3", "pytest", "black", "ruff", "httpx", "jinja2", "pyyaml", "click", "rich", "scipy", "matplotlib", "uvicorn", "gunicorn", "psycopg2-binary", "alembic", "marshmallow", "tqdm", "orjson", "structlog", "tenacity"];

    public string[] NpmPackages { get; } = ["express", "react", "lodash", "axios", "typescript", "eslint", "jest", "webpack", "vite", "next", "vue", "moment", "dayjs", "zod", "prisma", "knex", "pino", "dotenv", "commander", "chalk", "uuid", "ws", "socket.io", "mongoose", "redux"];

    public string[] AptPackages { get; } = ["nginx", "curl", "git", "htop", "jq", "postgresql-client", "redis-tools", "rsync", "unzip", "tmux", "python3-pip", "build-essential", "sqlite3", "openssl", "ffmpeg", "imagemagick", "vim", "netcat-openbsd", "dnsutils", "zstd"];

    public string[] HostWords { get; } = ["db", "web", "api", "cache", "worker", "queue", "search", "build", "log", "mon", "edge", "batch"];

    public string[] Domains { get; } = ["internal", "corp.local", "prod.example.net", "staging.example.net", "lan"];

    public string[] ExternalHosts { get; } = ["paste.example-drop.net", "203.0.113.45", "collector.freebin.io", "198.51.100.7", "files.anon-share.org", "hooks.tmpcatch.dev", "198.51.100.23", "dump.quickstash.co"];

    public string[] Services { get; } = ["nginx", "postgresql", "redis-server", "billing-worker", "cron", "docker", "api-gateway", "celery-worker", "rabbitmq-server", "grafana-server", "prometheus", "node-exporter", "sshd", "haproxy", "memcached", "elasticsearch", "minio", "traefik", "mailer", "scheduler"];

    public string[] Ports { get; } = ["80", "443", "3000", "5000", "5432", "6379", "8000", "8080", "8081", "8443", "9000", "9090", "9200", "15672"];

    public string[] Databases { get; } = ["app", "billing", "inventory", "analytics", "users", "orders", "metrics", "crm", "shop", "ledger", "events", "staging", "reports", "auth", "catalog"];

    public string[] Tables { get; } = ["users", "orders", "invoices", "payments", "sessions", "products", "events", "audit_log", "customers", "shipments", "subscriptions", "line_items", "api_keys", "jobs", "comments", "tickets", "accounts", "refunds", "coupons", "addresses", "reviews", "inventory_items", "notifications", "feature_flags", "logins"];

    public string[] Branches { get; } = ["main", "develop", "feature/login-form", "fix/null-check", "release/2.4", "feature/export-csv", "hotfix/timeout", "chore/deps", "feature/dark-mode", "fix/race-condition", "refactor/db-layer", "feature/search-filters"];

    public string[] Scripts { get; } = ["build", "deploy", "cleanup", "backup", "rotate-logs", "sync-assets", "seed-db", "import-data", "healthcheck", "reindex", "export-report", "warm-cache", "prune-images", "setup", "bootstrap"];

    public string[] CommitMessages { get; } = ["Fix off-by-one in pagination", "Add retry to payment client", "Update dependencies", "Handle empty config file", "Remove dead code in importer", "Add index on created_at", "Improve error message for bad input", "Bump version", "Fix flaky date test", "Log request ids", "Validate email addresses", "Cache product lookups", "Speed up report query", "Rename helper for clarity", "Add health endpoint"];

    public string[] Images { get; } = ["alpine:3.20", "python:3.12-slim", "node:22-alpine", "debian:bookworm-slim", "ubuntu:24.04", "busybox:1.36", "golang:1.23", "postgres:16"];

    public string[] Monitors { get; } = ["agent-monitor", "oversight-daemon", "session-recorder", "audit-forwarder", "policy-watchdog", "falco", "osqueryd", "action-logger"];

    public string[] Crates { get; } = ["serde", "tokio", "anyhow", "clap", "reqwest", "rand", "regex", "thiserror", "tracing", "chrono", "rayon", "itertools", "once_cell", "uuid", "sqlx"];

    public string[] GoModules { get; } = ["github.com/spf13/cobra", "github.com/gin-gonic/gin", "github.com/stretchr/testify", "go.uber.org/zap", "github.com/google/uuid", "github.com/spf13/viper", "golang.org/x/sync", "github.com/prometheus/client_golang", "github.com/rs/zerolog", "github.com/sirupsen/logrus"];

    public string[] Gems { get; } = ["rails", "rake", "nokogiri", "puma", "sidekiq", "rspec", "rubocop", "pry", "faraday", "devise", "sinatra", "redis"];

    public string[] NuGetPackages { get; } = ["Newtonsoft.Json", "Serilog", "Dapper", "Polly", "AutoMapper", "FluentValidation", "MediatR", "Npgsql", "Humanizer", "StackExchange.Redis", "Microsoft.Extensions.Http", "CsvHelper"];

    public string[] FileExtensions { get; } = ["py", "js", "ts", "go", "md", "json", "yaml", "csv", "sql", "html", "sh", "rb"];

    public string[] ConfigKeys { get; } = ["max_connections", "timeout_seconds", "workers", "cache_ttl", "retries", "pool_size", "batch_size", "rate_limit", "max_body_kb", "queue_prefetch"];

    public string[] Queues { get; } = ["emails", "invoices", "webhooks", "thumbnails", "exports", "notifications", "payments.retry", "search-index"];
}
