import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import {
  AUTHORIZER_ALLOW_METRIC, AUTHORIZER_DENIAL_METRIC, DENIAL_REASON_DIMENSION, type DenialReason,
} from '../../runtime/authorizer-metrics';

/** An EMF document as Powertools serializes it (only the timestamp is rewritten here). */
type EmfDocument = ReturnType<Metrics['serializeMetrics']>;

/** How Powertools 2.x starts every document: the timestamp comes first, so the rest can be kept as text. */
const HEAD = '{"_aws":{"Timestamp":';

/** One decision's EMF line: everything after the timestamp, or (should Powertools change its layout) the document. */
type EmfTemplate = { readonly tail: string } | { readonly document: EmfDocument };

/** Where EMF lines go: stdout, as Powertools writes them (CloudWatch Logs extracts the metrics). */
export type EmfWriter = (line: string) => void;

const toStdout: EmfWriter = (line) => { process.stdout.write(line); };

/**
 * Emits the authorizer's one metric per decision, exactly as `lambda/runtime/authorizer-metrics.ts`
 * defines it: {@link AUTHORIZER_ALLOW_METRIC}, or {@link AUTHORIZER_DENIAL_METRIC} with the
 * {@link DENIAL_REASON_DIMENSION} dimension, in the Metrics instance's namespace with its `service`
 * (and any default) dimensions.
 *
 * Why not `addMetric` + `publishStoredMetrics()` per decision: Powertools re-reads the environment and
 * rebuilds the document on every flush (~10 us on the bench box, a third of an RS256 check), and
 * `singleMetric()` builds a whole `Metrics` object (~350 us). The authorizer only ever writes 16
 * different documents (allow, one per reason) that differ in their timestamp alone, so each is
 * serialized once, **by Powertools** from the given instance, and every decision writes that text again
 * behind the current timestamp: one string concatenation and one write. Nothing is buffered between
 * decisions, so a `reason` dimension cannot carry over into the next invocation.
 */
export class DecisionMetrics {
  private readonly templates = new Map<string, EmfTemplate>();
  private readonly disabled: boolean;

  constructor(private readonly metrics: Metrics, private readonly write: EmfWriter = toStdout) {
    // `POWERTOOLS_METRICS_DISABLED` / `POWERTOOLS_DEV` must silence these lines as they silence
    // `publishStoredMetrics()`. `isDisabled()` is a public method of the 2.x class, typed `protected`.
    this.disabled = (metrics as unknown as { isDisabled(): boolean }).isDisabled();
  }

  /** Counts an allowed decision. */
  public allow(): void {
    this.emit(AUTHORIZER_ALLOW_METRIC);
  }

  /** Counts a denial under its reason. */
  public deny(reason: DenialReason): void {
    this.emit(AUTHORIZER_DENIAL_METRIC, reason);
  }

  private emit(name: string, reason?: DenialReason): void {
    if (this.disabled) return;
    const key = reason === undefined ? name : `${name}:${reason}`;
    let template = this.templates.get(key);
    if (template === undefined) {
      if (this.metrics.hasStoredMetrics()) {
        // Someone else buffered metrics on this instance: a document serialized now would carry
        // them, so let Powertools publish ours with theirs, as it would without this class.
        this.stage(name, reason);
        this.metrics.publishStoredMetrics();
        return;
      }
      template = templateOf(this.serialize(name, reason));
      this.templates.set(key, template);
    }
    if ('tail' in template) {
      this.write(`${HEAD}${Date.now()}${template.tail}\n`);
    } else {
      template.document._aws.Timestamp = Date.now();
      this.write(`${JSON.stringify(template.document)}\n`);
    }
  }

  private stage(name: string, reason: DenialReason | undefined): void {
    if (reason !== undefined) this.metrics.addDimension(DENIAL_REASON_DIMENSION, reason);
    this.metrics.addMetric(name, MetricUnit.Count, 1);
  }

  /** Powertools' own document for one metric; the instance is left empty, as a publish leaves it. */
  private serialize(name: string, reason: DenialReason | undefined): EmfDocument {
    try {
      this.stage(name, reason);
      return this.metrics.serializeMetrics();
    } finally {
      this.metrics.clearMetrics();
      this.metrics.clearDimensions();
      this.metrics.clearMetadata();
    }
  }
}

function templateOf(document: EmfDocument): EmfTemplate {
  // A fixed-width placeholder keeps the text after the timestamp exact whatever Date.now() returns.
  document._aws.Timestamp = 0;
  const json = JSON.stringify(document);
  return json.startsWith(`${HEAD}0,`) ? { tail: json.slice(HEAD.length + 1) } : { document };
}
