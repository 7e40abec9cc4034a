/** Sends a console page: the frame around a body, with the reviewer (if any) and the response's CSP nonce. */
import type { Response } from 'express';
import type { Html } from './html';
import { optionalReviewerOf } from './access';
import { renderPage } from './pages/layout';
import { cspNonceOf } from './security-headers';

export function sendPage(res: Response, status: number, title: string, body: Html): void {
  const reviewer = optionalReviewerOf(res);
  res
    .status(status)
    .type('html')
    .send(
      renderPage({
        title,
        nonce: cspNonceOf(res),
        reviewer: reviewer && { identity: reviewer.session.identity, csrf: reviewer.csrf },
        body,
      }),
    );
}
