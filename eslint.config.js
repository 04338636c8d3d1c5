// ESLint with type information (typescript-eslint), Pulumi's rules and no-floating-promises.
const tseslint = require("typescript-eslint");
const pulumi = require("@pulumi/eslint-plugin");

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
        // chai's property assertions (`to.be.true`) read as unused expressions; the tests use calls only.
        files: ["tests/**/*.ts"],
        rules: { "@typescript-eslint/no-unused-expressions": "off" },
    },
);
