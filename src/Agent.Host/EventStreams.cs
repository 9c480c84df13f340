using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Agent.Runtime.Storage;

namespace Agent.Host;

/// <summary>
/// The server-sent event streams of <c>agent serve</c>, woken by the store's change signal (<see cref="IRunStore.Changes"/>)
/// rather than by polling: <c>GET /runs/{id}/events</c> (a run's steps and status) and <c>GET /events</c> (every run's
/// status, what the review page listens to). Each event has an <c>id:</c> a client resumes from with <c>Last-Event-ID</c>.
/// </summary>
internal static class EventStreams
{
    /// <summary>
    /// How long a stream waits for the change signal before it looks at the store anyway: the signal covers this process's
    /// writes, and this catches those of another process on the same database (the CLI's <c>agent review approve</c>).
    /// </summary>
    public static readonly TimeSpan Fallback = TimeSpan.FromSeconds(5);

    /// <summary>A run's events: <c>ready</c> first (its id the resume point), then <c>step</c> (<see cref="ApiJson.Step"/>) when a step appears or changes status, <c>status</c> (<see cref="ApiJson.Run"/>) when the run does; ends when the run has ended.</summary>
    public static async IAsyncEnumerable<SseItem<string>> RunAsync(IRunStore store, string runId, RunEventCursor cursor, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // First a 'ready' event at the resume point: the answer's headers go out now, so a client (a browser's EventSource)
        // knows it is connected even when nothing has changed since its Last-Event-ID.
        yield return Item("ready", new { run_id = runId }, cursor.Id);
        while (!cancellationToken.IsCancellationRequested)
        {
            // Taken before reading: a write between the read and the wait has completed it already.
            var changed = store.Changes.Next;
            var run = await store.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
            if (run is null)
            {
                yield break;
            }

            foreach (var step in await store.GetStepsAsync(runId, cancellationToken).ConfigureAwait(false))
            {
                if (cursor.Advance(step))
                {
                    yield return Item("step", ApiJson.Step(step), cursor.Id);
                }
            }

            if (cursor.Advance(run.Status))
            {
                yield return Item("status", ApiJson.Run(run), cursor.Id);
            }

            if (run.IsTerminal || !await WaitAsync(changed, cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Every run's status changes: a <c>run</c> event (<see cref="ApiJson.Run"/>) per run updated at or after
    /// <paramref name="after"/> (Unix milliseconds; the event's id is its <c>updated_at</c> in the same unit). Without
    /// <paramref name="after"/> it starts from now. A run updated
    /// in the very millisecond of a resume point may be sent twice; none is missed. Covers the <see cref="HttpApi.MaxLimit"/> most recently created runs.
    /// The first event is always <c>ready</c>, whose id is the resume point.
    /// </summary>
    public static async IAsyncEnumerable<SseItem<string>> AllRunsAsync(IRunStore store, long? after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sent = new Dictionary<string, long>(StringComparer.Ordinal);
        var changed = store.Changes.Next;
        if (after is not { } from)
        {
            var runs = await store.ListRunsAsync(HttpApi.MaxLimit, cancellationToken).ConfigureAwait(false);
            from = runs.Count == 0 ? 0 : runs.Max(r => r.UpdatedAt.ToUnixTimeMilliseconds());
            foreach (var r in runs)
            {
                sent[r.Id] = r.UpdatedAt.ToUnixTimeMilliseconds();
            }
        }

        // First a 'ready' event at the resume point, so the headers go out and the client knows it is connected.
        yield return Item("ready", new { after = from }, from.ToString(CultureInfo.InvariantCulture));
        while (!cancellationToken.IsCancellationRequested)
        {
            foreach (var run in (await store.ListRunsAsync(HttpApi.MaxLimit, cancellationToken).ConfigureAwait(false)).OrderBy(r => r.UpdatedAt))
            {
                var updated = run.UpdatedAt.ToUnixTimeMilliseconds();
                if (updated >= from && (!sent.TryGetValue(run.Id, out var seen) || updated > seen))
                {
                    sent[run.Id] = updated;
                    yield return Item("run", ApiJson.Run(run), updated.ToString(CultureInfo.InvariantCulture));
                }
            }

            if (!await WaitAsync(changed, cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }

            changed = store.Changes.Next;
        }
    }

    /// <summary>Waits for the change signal or <see cref="Fallback"/>; false when the client went away.</summary>
    private static async Task<bool> WaitAsync(Task changed, CancellationToken cancellationToken)
    {
        try
        {
            await changed.WaitAsync(Fallback, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }

    private static SseItem<string> Item(string type, object data, string id) =>
        new(JsonSerializer.Serialize(data, JsonOutput.Options), type) { EventId = id };
}
