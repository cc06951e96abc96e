/**
 * User realm discovery, `GET /common/userrealm/{upn}?api-version=1.0`: what Entra says about the
 * domain of a sign-in name. MSAL.NET asks it before a username/password sign-in and stops unless
 * the answer is `Managed` (a cloud account, no federation to follow). As in Entra, the answer
 * depends on the domain only (a tenant's verified domain or the domain of one of its users), so it
 * tells nobody whether a particular user exists.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Directory } from './directory.ts';

const MAX_UPN = 256;

export function userRealmRoutes(app: FastifyInstance, directory: Directory): void {
  const answer = async (req: FastifyRequest<{ Params: { upn: string } }>) => {
    const upn = req.params.upn.slice(0, MAX_UPN);
    const at = upn.lastIndexOf('@');
    const domain = at > 0 ? upn.slice(at + 1).toLowerCase() : '';
    const known = domain !== '' && (
      directory.tenants().some((t) => t.domains.includes(domain))
      || directory.users().some((u) => u.userPrincipalName.toLowerCase().endsWith(`@${domain}`)));
    const common = { ver: '1.0', cloud_instance_name: 'microsoftonline.com', cloud_audience_urn: 'urn:federation:MicrosoftOnline' };
    return known
      ? { ...common, account_type: 'Managed', domain_name: domain, federation_protocol: '', federation_metadata_url: '', federation_active_auth_url: '' }
      : { ...common, account_type: 'Unknown' };
  };
  app.get('/common/userrealm/:upn', answer);
  app.get('/:tenant/userrealm/:upn', answer);
}
