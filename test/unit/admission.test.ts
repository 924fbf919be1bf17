import { describe, expect, it } from 'vitest';
import { admissionSettings } from '../../config.js';
import { ADMITTING, MAX_RETRY_AFTER_S, nextAdmission, retryAfterSeconds, type Admission, type AdmissionSettings, type Backlog, type LagSample } from '../../domain/admission.js';
import { SettingsError } from '../../domain/settings-error.js';

const SETTINGS: AdmissionSettings = { maxIntakeLagMs: 2_000, maxBacklogAgeMs: 10_000, maxEventLoopDelayMs: 50 };
const IDLE: Backlog = { ageMs: 0, count: 0, dispatchPerSecond: 3 };

function sample({ intakeLagMs = 0, workflowAgeMs = 0, activityAgeMs = 0, count = 0, dispatchPerSecond = 2, eventLoopDelayMs = 0 } = {}): LagSample {
  return {
    intakeLagMs,
    backlogs: [
      { ...IDLE, ageMs: workflowAgeMs, count: workflowAgeMs > 0 ? count : 0, dispatchPerSecond },
      { ...IDLE, ageMs: activityAgeMs, count: activityAgeMs > 0 ? count : 0, dispatchPerSecond },
    ],
    eventLoopDelayMs,
  };
}

/** The decisions after each sample in turn, from admitting. */
function run(samples: LagSample[], settings = SETTINGS): Admission[] {
  const decisions: Admission[] = [];
  let admission = ADMITTING;
  for (const lag of samples) decisions.push((admission = nextAdmission(admission, lag, settings)));
  return decisions;
}

describe('admission: when intake and changes are refused', () => {
  it('admits while the engine takes orders up at once, the queue has no backlog and the event loop keeps up', () => {
    expect(nextAdmission(ADMITTING, sample({ intakeLagMs: 150, eventLoopDelayMs: 8 }), SETTINGS)).toEqual(ADMITTING);
  });

  it('refuses once the oldest order accepted has waited for the engine longer than the bound', () => {
    expect(nextAdmission(ADMITTING, sample({ intakeLagMs: 2_001 }), SETTINGS)).toMatchObject({ admitting: false, reasons: ['intake'] });
    expect(nextAdmission(ADMITTING, sample({ intakeLagMs: 2_000 }), SETTINGS)).toEqual(ADMITTING);
    // Resumes below half the bound, as every measure does.
    expect(run([sample({ intakeLagMs: 3_000 }), sample({ intakeLagMs: 1_500 }), sample({ intakeLagMs: 900 })]).map((decision) => decision.admitting)).toEqual([false, false, true]);
  });

  it('refuses once the oldest waiting task of either type is older than the bound', () => {
    expect(nextAdmission(ADMITTING, sample({ workflowAgeMs: 10_001, count: 20 }), SETTINGS)).toMatchObject({ admitting: false, reasons: ['backlog'] });
    expect(nextAdmission(ADMITTING, sample({ activityAgeMs: 12_000, count: 20 }), SETTINGS)).toMatchObject({ admitting: false, reasons: ['backlog'] });
    expect(nextAdmission(ADMITTING, sample({ workflowAgeMs: 10_000, count: 20 }), SETTINGS)).toEqual(ADMITTING);
  });

  it("refuses once the API's own event loop is later than its bound, and names every reason", () => {
    expect(nextAdmission(ADMITTING, sample({ eventLoopDelayMs: 51 }), SETTINGS)).toMatchObject({ admitting: false, reasons: ['event-loop'] });
    expect(nextAdmission(ADMITTING, sample({ workflowAgeMs: 30_000, count: 5, eventLoopDelayMs: 400 }), SETTINGS)).toMatchObject({ reasons: ['backlog', 'event-loop'] });
  });

  it('checks no bound that is off', () => {
    const huge = sample({ intakeLagMs: 60_000, workflowAgeMs: 600_000, count: 900, eventLoopDelayMs: 5_000 });
    expect(nextAdmission(ADMITTING, huge, { maxIntakeLagMs: undefined, maxBacklogAgeMs: undefined, maxEventLoopDelayMs: 50 })).toMatchObject({ reasons: ['event-loop'] });
    expect(nextAdmission(ADMITTING, huge, { maxIntakeLagMs: undefined, maxBacklogAgeMs: 10_000, maxEventLoopDelayMs: undefined })).toMatchObject({ reasons: ['backlog'] });
    expect(nextAdmission(ADMITTING, huge, { maxIntakeLagMs: 2_000, maxBacklogAgeMs: undefined, maxEventLoopDelayMs: undefined })).toMatchObject({ reasons: ['intake'] });
  });

  it('refuses nothing because Temporal or the database could not be asked', () => {
    expect(nextAdmission(ADMITTING, { intakeLagMs: undefined, backlogs: undefined, eventLoopDelayMs: 3 }, SETTINGS)).toEqual(ADMITTING);
    // Refusing for the backlog, then Temporal does not answer: intake's own handling of an unreachable Temporal takes over.
    const refusing = nextAdmission(ADMITTING, sample({ workflowAgeMs: 20_000, count: 10 }), SETTINGS);
    expect(nextAdmission(refusing, { intakeLagMs: 0, backlogs: undefined, eventLoopDelayMs: 3 }, SETTINGS)).toEqual(ADMITTING);
  });

  it('does not flap: once refusing, it admits again only when every measure is below half its bound', () => {
    const loop = (eventLoopDelayMs: number) => sample({ eventLoopDelayMs });
    const decisions = run([loop(20), loop(60), loop(45), loop(30), loop(55), loop(26), loop(24), loop(40), loop(49)]);
    expect(decisions.map((decision) => decision.admitting)).toEqual([true, false, false, false, false, false, true, true, true]);

    const age = (workflowAgeMs: number) => sample({ workflowAgeMs, count: 10 });
    expect(run([age(11_000), age(6_000), age(5_000), age(9_000)]).map((decision) => decision.admitting)).toEqual([false, false, true, true]);
  });

  it('keeps refusing while either measure is above half its bound', () => {
    const refusing = nextAdmission(ADMITTING, sample({ workflowAgeMs: 11_000, count: 10, eventLoopDelayMs: 70 }), SETTINGS);
    expect(nextAdmission(refusing, sample({ workflowAgeMs: 1_000, count: 2, eventLoopDelayMs: 30 }), SETTINGS)).toMatchObject({ admitting: false, reasons: ['event-loop'] });
    expect(nextAdmission(refusing, sample({ workflowAgeMs: 6_000, count: 2, eventLoopDelayMs: 10 }), SETTINGS)).toMatchObject({ admitting: false, reasons: ['backlog'] });
  });
});

describe('admission: Retry-After', () => {
  it('is the time the workers need for the tasks already waiting, at the pace they take them', () => {
    expect(retryAfterSeconds(sample({ workflowAgeMs: 12_000, count: 30, dispatchPerSecond: 2 }), ['backlog'])).toBe(15);
    expect(retryAfterSeconds(sample({ workflowAgeMs: 12_000, count: 7, dispatchPerSecond: 2 }), ['backlog'])).toBe(4);
  });

  it('takes the slower of the two task types', () => {
    const lag: LagSample = { intakeLagMs: 0, backlogs: [{ ageMs: 11_000, count: 10, dispatchPerSecond: 5 }, { ageMs: 3_000, count: 40, dispatchPerSecond: 2 }], eventLoopDelayMs: 0 };
    expect(retryAfterSeconds(lag, ['backlog'])).toBe(20);
  });

  it('is at most a minute, also when no worker takes tasks at all', () => {
    expect(retryAfterSeconds(sample({ workflowAgeMs: 90_000, count: 900, dispatchPerSecond: 1 }), ['backlog'])).toBe(MAX_RETRY_AFTER_S);
    expect(retryAfterSeconds(sample({ workflowAgeMs: 90_000, count: 12, dispatchPerSecond: 0 }), ['backlog'])).toBe(MAX_RETRY_AFTER_S);
  });

  it('is about the age of the oldest order waiting for the engine: orders sent now would wait behind it', () => {
    expect(retryAfterSeconds(sample({ intakeLagMs: 4_200 }), ['intake'])).toBe(5);
    expect(retryAfterSeconds(sample({ intakeLagMs: 4_200, eventLoopDelayMs: 300 }), ['intake', 'event-loop'])).toBe(5);
  });

  it('is the next sample for the event loop, and never less than a second', () => {
    expect(retryAfterSeconds(sample({ eventLoopDelayMs: 300 }), ['event-loop'])).toBe(1);
    expect(retryAfterSeconds(sample({ workflowAgeMs: 11_000, count: 1, dispatchPerSecond: 40 }), ['backlog'])).toBe(1);
    expect(retryAfterSeconds(sample({ workflowAgeMs: 11_000, count: 30, dispatchPerSecond: 3, eventLoopDelayMs: 300 }), ['backlog', 'event-loop'])).toBe(10);
  });

  it('comes with every refusal', () => {
    expect(nextAdmission(ADMITTING, sample({ activityAgeMs: 20_000, count: 45, dispatchPerSecond: 1.5 }), SETTINGS)).toEqual({ admitting: false, reasons: ['backlog'], retryAfterSeconds: 30 });
  });
});

describe('admission: settings', () => {
  it('has bounds by default', () => {
    expect(admissionSettings({})).toEqual({ maxIntakeLagMs: 2_000, maxBacklogAgeMs: 2_000, maxEventLoopDelayMs: 100 });
    expect(admissionSettings({ ADMISSION_MAX_INTAKE_LAG_MS: '500', ADMISSION_MAX_BACKLOG_AGE_MS: '5000', ADMISSION_MAX_EVENT_LOOP_DELAY_MS: '' })).toEqual({ maxIntakeLagMs: 500, maxBacklogAgeMs: 5_000, maxEventLoopDelayMs: 100 });
  });

  it('turns each bound off with `off`, and admission control with all three', () => {
    expect(admissionSettings({ ADMISSION_MAX_EVENT_LOOP_DELAY_MS: 'off' })).toEqual({ maxIntakeLagMs: 2_000, maxBacklogAgeMs: 2_000, maxEventLoopDelayMs: undefined });
    expect(admissionSettings({ ADMISSION_MAX_BACKLOG_AGE_MS: 'off', ADMISSION_MAX_EVENT_LOOP_DELAY_MS: 'off' })).toEqual({ maxIntakeLagMs: 2_000, maxBacklogAgeMs: undefined, maxEventLoopDelayMs: undefined });
    expect(admissionSettings({ ADMISSION_MAX_INTAKE_LAG_MS: 'off', ADMISSION_MAX_BACKLOG_AGE_MS: 'off', ADMISSION_MAX_EVENT_LOOP_DELAY_MS: 'off' })).toBeUndefined();
  });

  it('stops the process at start on a bound that is not a whole number of milliseconds', () => {
    for (const value of ['0', '-5', '1.5', '10s', 'no']) {
      expect(() => admissionSettings({ ADMISSION_MAX_BACKLOG_AGE_MS: value })).toThrow(SettingsError);
      expect(() => admissionSettings({ ADMISSION_MAX_BACKLOG_AGE_MS: value })).toThrow(`ADMISSION_MAX_BACKLOG_AGE_MS must be a whole number of milliseconds of at least 1, or off, got "${value}"`);
    }
  });
});
