/** The error the typed client throws for a failed request, carrying the server's error body. */
import { FerryError, type ErrorDetail } from '@ferry/core';

/** A request to the ferry API failed; `code` is the server's stable error code. */
export class FerryApiError extends FerryError {
  readonly requestId: string | undefined;

  constructor(init: {
    code: string;
    status: number;
    message: string;
    details?: readonly ErrorDetail[];
    requestId?: string;
    retryable?: boolean;
    cause?: unknown;
  }) {
    super(
      {
        code: init.code,
        status: init.status,
        fault: init.status >= 500 ? 'server' : 'client',
        retryable: init.retryable ?? (init.status >= 500 || init.status === 429),
        message: init.message,
      },
      { details: init.details ?? [], cause: init.cause },
    );
    this.requestId = init.requestId;
  }
}
