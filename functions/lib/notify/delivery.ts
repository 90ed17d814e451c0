/** A message the provider refused for good (an address the mail server rejects, a number the SMS provider refuses). */
export class PermanentDeliveryError extends Error {}
