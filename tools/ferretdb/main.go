// Command ferretdb runs the embeddable FerretDB v1 with its SQLite handler, or with its
// PostgreSQL handler when -postgresql-url is given.
//
// We embed the package instead of `go install`-ing FerretDB's own command because that
// command refuses to start without a generated build/version/version.txt (FerretDB
// issue 2982). The embedded package also never starts the telemetry reporter.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite URI (a directory, ending in a slash)")
	postgreSQLURL := flag.String("postgresql-url", "", "PostgreSQL URL (postgres://user@host:port/database); if set, used instead of SQLite")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn or error")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		log.Fatalf("invalid -log-level: %v", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	config := ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
		Logger:    logger,
	}
	if *postgreSQLURL != "" {
		config.Handler = "postgresql"
		config.PostgreSQLURL = *postgreSQLURL
	}

	f, err := ferretdb.New(&config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Run blocks until SIGINT/SIGTERM, then closes connections and the backend.
	if err := f.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
