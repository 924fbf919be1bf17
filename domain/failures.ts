/**
 * Business failure types: the `type` of the non-retryable ApplicationFailures that activities and the
 * workflow raise, so that callers can tell a declined card from an outage.
 */
export const FailureType = {
  PaymentDeclined: 'PaymentDeclined',
  NotCancellable: 'NotCancellable',
  UnknownShipment: 'UnknownShipment',
  /** The provider refused a refund, or nothing captured is left to refund. */
  RefundRefused: 'RefundRefused',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
