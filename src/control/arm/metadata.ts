import type { FastifyInstance, FastifyReply } from 'fastify';

/** The main origin's path of ARM's cloud metadata document. */
export const METADATA_PATH = '/metadata/endpoints';
const isMetadata = (url: string | undefined) => url === METADATA_PATH || url === `/${METADATA_PATH}`;
export { isMetadata };

/**
 * ARM's cloud metadata (`GET {resourceManager}/metadata/endpoints?api-version=2015-01-01`, no
 * authentication), as Azure Stack serves it: `az cloud register --endpoint-resource-manager`
 * reads the login endpoint and the management audience from it. The login endpoint is the `adfs`
 * alias of the default tenant, because the az CLI skips Microsoft's instance discovery only for
 * an AD FS authority.
 */
export function registerArmMetadata(app: FastifyInstance, managementEndpoint: string): void {
  const base = managementEndpoint.replace(/\/+$/, '');
  const handler = async (_req: unknown, reply: FastifyReply) => reply.header('cache-control', 'no-store').send({
    galleryEndpoint: `${base}/`,
    graphEndpoint: 'https://graph.microsoft.com/',
    portalEndpoint: `${base}/`,
    authentication: {
      loginEndpoint: `${base}/adfs`,
      audiences: ['https://management.core.windows.net/', 'https://management.azure.com/'],
    },
  });
  app.get(METADATA_PATH, handler);
  // az appends the path to the endpoint as given, and `https://host/` is the usual spelling.
  app.get(`/${METADATA_PATH}`, handler);
}
