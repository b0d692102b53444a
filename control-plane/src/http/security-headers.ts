import helmet from 'helmet';

/**
 * Security headers on every answer of the API: JSON, errors, signed files. The API serves no
 * pages, so its content security policy allows nothing (a JSON answer or a stored file opened
 * as a document runs no script and loads nothing). Pages served beside it (the console) set
 * their own policy on their routes, which replaces this one. Media must stay embeddable by an
 * editor on another origin (`<video src>` of a signed URL), hence a cross-origin resource policy.
 */
export function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
        sandbox: [],
      },
    },
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    // Self-hosted under a name the operator chooses: HSTS for this host only, not its siblings.
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
    xFrameOptions: { action: 'deny' },
  });
}
