import type { SelectHTMLAttributes } from "react";
import type { Role } from "../../graphql/graphql";
import { humanize } from "../../format";

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, "value" | "onChange"> & {
  /** The roles offered: those the viewer may give. */
  roles: readonly Role[];
  value: Role;
  onChange: (role: Role) => void;
};

/** A choice of role, as every members, service-account and single sign-on form offers it. */
export function RoleSelect({ roles, value, onChange, ...select }: Props) {
  return (
    <select {...select} value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {roles.map((role) => (
        <option key={role} value={role}>
          {humanize(role)}
        </option>
      ))}
    </select>
  );
}
