// ESLint with type information (typescript-eslint), Pulumi's rules and no-floating-promises.
const tseslint = require("typescript-eslint");
const pulumi = require("@pulumi/eslint-plugin");
const regexp = require("eslint-plugin-regexp");

module.exports = tseslint.config(
    { ignores: ["bin/**", "node_modules/**", "tools/launch.js", "tools/supportedNode.js", "eslint.config.js"] },
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
        plugins: { "@pulumi": pulumi },
        rules: {
            "@typescript-eslint/no-floating-promises": "error",
            "@pulumi/no-output-in-template-literal": "error",
            "@pulumi/no-output-instance-in-template-literal": "error",
        },
    },
    {
        // A regex on user input, files or cluster answers must not backtrack super-linearly (issue 41); what
        // these rules cannot see (a nested quantifier's exponential case) tests/shape.test.ts sends to RE2.
        files: ["components/**/*.ts", "config/**/*.ts", "tools/**/*.ts", "policy/**/*.ts", "stacks/**/*.ts", "index.ts"],
        plugins: { regexp },
        rules: {
            "regexp/no-super-linear-backtracking": ["error", { report: "potential" }],
            "regexp/no-super-linear-move": ["error", { report: "potential", ignoreSticky: false }],
        },
    },
    {
        // chai's property assertions (`to.be.true`) read as unused expressions; the tests use calls only.
        files: ["tests/**/*.ts"],
        rules: { "@typescript-eslint/no-unused-expressions": "off" },
    },
);
