// Package webhook delivers sealgate events to subscriber URLs, signed per Standard Webhooks 1.0.
package webhook
